"""Scenario 2: a folder of malformed and hostile files next to good documents.

Every file either gets exactly one line naming it and its cause, or is handled correctly
(ingested with the right text, or skipped by design: hidden files, folders). Every good
document stays searchable, and the index holds exactly the right documents.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import sys
import time
import zlib
from pathlib import Path

import pytest

from core.text import estimate_tokens
from ingest.chunk import chunk_document
from ingest.index import integrity_problems, open_index
from ingest.pipeline import ingest_paths
from core.text import printable
from ingest.types import Document
from rag.pipeline import RagPipeline

from .conftest import SMALL_EMBEDDING, codeword, make_settings, record

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers_ingest import encrypt_pdf, make_pdf  # noqa: E402

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(1800)]

RNG = random.Random(77)
KO = "대규모 언어 모델은 지시 조정으로 사람의 요청을 따르도록 학습됩니다. 작은 모델도 증류로 큰 모델을 흉내 낼 수 있습니다."
FR = "Les modèles de langage généralistes sont entraînés sur des données très variées ; l'été dernier, ça a bien marché."


def image_only_pdf() -> bytes:
    """One page that draws a 2x2 grey image and has no text at all (like a scan without OCR)."""
    pixels = zlib.compress(bytes([0, 128, 255, 64]))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        None,
        b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /FlateDecode /Length %d >>\nstream\n" % len(pixels) + pixels + b"\nendstream",
    ]
    draw = b"q 400 0 0 400 100 200 cm /Im1 Do Q"
    objects[3] = b"<< /Length %d >>\nstream\n" % len(draw) + draw + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def good_text(code: str, subject: str) -> str:
    return f"Notes on {code}.\nThe {code} technique concerns {subject}. It was evaluated on three benchmarks.\n"


class Folder:
    """The test folder: files by name, what each should lead to, and the code word of each good one."""

    def __init__(self, root: Path):
        self.root = root
        self.expect_failure: dict[str, str] = {}  # path as reported -> reason pattern
        self.expect_indexed: dict[str, str] = {}  # resolved path -> code word (or "" when not searchable by one)
        self.expect_skipped: list[str] = []  # silently not documents, by design

    def good(self, name: str, subject: str, encoding: str = "utf-8", prefix: bytes = b"") -> Path:
        code = codeword(RNG)
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(prefix + good_text(code, subject).encode(encoding))
        self.expect_indexed[str(path.resolve())] = code
        return path

    def bad(self, name: str | bytes, data: bytes | None, reason: str) -> None:
        path = os.path.join(os.fsencode(self.root), name) if isinstance(name, bytes) else str(self.root / name)
        if data is not None:
            with open(path, "wb") as fh:
                fh.write(data)
        self.expect_failure[os.fsdecode(path)] = reason


def build(folder: Folder) -> None:
    root = folder.root
    # --- text that must come through correctly
    latin1 = folder.good("latin1-français.txt", "la compression des modèles, été comme hiver", encoding="latin-1")
    utf16le = folder.good("utf16-le.txt", f"{KO} {FR}", encoding="utf-16-le", prefix=b"\xff\xfe")
    utf16be = folder.good("utf16-be.txt", f"{KO} {FR}", encoding="utf-16-be", prefix=b"\xfe\xff")
    cp949 = folder.good("korean-cp949.txt", KO, encoding="cp949")
    cut = folder.good("cut-mid-character.txt", KO)
    cut.write_bytes(cut.read_bytes() + "증".encode()[:2])  # a UTF-8 file truncated inside a character
    stray = folder.good("stray-byte.txt", FR)
    stray.write_bytes(stray.read_bytes().replace(b"three", b"th\xffree"))
    folder.good("SHOUTING.TXT", "upper-case file extensions")
    folder.good("a..b double dots.md", "names that contain two dots")
    folder.good("名前 [draft] (1) #%&'; é.md", "names with brackets, symbols and several scripts")
    folder.good("folder.txt/inside.txt", "a folder whose name looks like a file")
    long_words = folder.good("long-line.txt", "a single line of a hundred kilobytes")
    long_words.write_text(long_words.read_text(encoding="utf-8").rstrip("\n") + " "
                          + " ".join(f"token{i}" for i in range(12_000)), encoding="utf-8")
    blob = folder.good("minified.md", "a long run of characters without spaces")
    blob.write_text(blob.read_text(encoding="utf-8") + "\n" + "QmFzZTY0IGJsb2Ig" * 4000 + "\n", encoding="utf-8")
    nul_late = folder.good("nul-after-64k.txt", "a NUL byte far into the file")
    nul_late.write_bytes(nul_late.read_bytes() + b"padding line of text.\n" * 3500 + b"\x00 and more text.\n")

    # --- files that must be refused, one line each
    folder.bad("empty.txt", b"", r"^empty file$")
    folder.bad("whitespace.txt", b" \t\r\n" * 2000 + "\u00a0\u2003\n".encode() * 50,
               r"^no text left after cleaning \(the file holds only whitespace or debris\)$")
    folder.bad("debris.md", b"---\n***\n###\n* * *\n| | |\n1 2 3\n",
               r"^no text left after cleaning \(the file holds only whitespace or debris\)$")
    folder.bad("binary.txt", bytes(RNG.randrange(256) for _ in range(4096)) + b"\x00",
               r"^binary file \(contains NUL bytes\), not text$")
    folder.bad("nul-byte.txt", b"A sentence about adapters.\x00Another one.\n",
               r"^binary file \(contains NUL bytes\), not text$")
    folder.bad("noise.txt", bytes(RNG.randrange(1, 256) for _ in range(20_000)),
               r"^(not valid UTF-8, UTF-16 .*convert it to UTF-8|text encoding unclear .*)$")
    pdf = make_pdf([["A real page about retrieval."] * 30, ["A second page about ranking."] * 30])
    folder.bad("truncated.pdf", pdf[: len(pdf) * 6 // 10], r"^corrupt or unreadable PDF \(.+\)$")
    folder.bad("not-a-pdf.pdf", b"%PDF-1.7\n" + bytes(RNG.randrange(256) for _ in range(3000)),
               r"^corrupt or unreadable PDF \(.+\)$")
    folder.bad("encrypted.pdf", encrypt_pdf(make_pdf([["A secret page."]])),
               r"^encrypted PDF \(a password is required\); save an unencrypted copy$")
    folder.bad("image-only.pdf", image_only_pdf(),
               r"^PDF has no text \(1 page; no text layer and OCR read none\)$")
    folder.bad("no-pages.pdf", make_pdf([]), r"^PDF has no text \(0 pages; .*\)$")
    with open(root / "huge.txt", "wb") as fh:  # 50 MB of real text, over the 20 MB default limit
        line = b"An ordinary sentence about language models, repeated to fill fifty megabytes.\n"
        fh.write(line * (50_000_000 // len(line) + 1))
    folder.bad("huge.txt", None, r"^file too large \(50\.0 MB > 20 MB limit; split it or raise SURVEY_RAG_MAX_FILE_MB\)$")
    folder.bad("notes.docx", b"PK\x03\x04 not really a docx", r"^not a \.docx file \(not a zip package: .+\)$")
    folder.bad("tool.exe", b"MZ\x90\x00" * 64, r"^unsupported file type '\.exe'")
    folder.bad("README", b"A file without an extension.\n", r"^unsupported file type '\(none\)'")
    folder.bad(b"caf\xe9-latin1-name.txt", good_text("cafe", "a name that is not UTF-8").encode(),
               r"^file name is not valid UTF-8; rename the file$")
    folder.bad("line\nbreak.txt", b"", r"^empty file$")  # reported on one line all the same
    os.symlink("loop-b.txt", root / "loop-a.txt")
    os.symlink("loop-a.txt", root / "loop-b.txt")
    folder.bad("loop-a.txt", None, r"^broken or looping symbolic link$")
    folder.bad("loop-b.txt", None, r"^broken or looping symbolic link$")
    os.symlink(root / "does-not-exist.txt", root / "dangling.txt")
    folder.bad("dangling.txt", None, r"^broken or looping symbolic link$")
    os.mkfifo(root / "pipe.txt")  # reading it would block forever
    folder.bad("pipe.txt", None, r"^not a regular file$")
    vanishing = folder.good("vanishing.txt", "a file deleted while the ingest runs")
    del folder.expect_indexed[str(vanishing.resolve())]
    folder.bad("vanishing.txt", None, r"^cannot read file \(No such file or directory\)$")

    # --- skipped by design, silently: hidden files, a folder loop (folder links are not followed)
    (root / ".hidden.txt").write_text("editor droppings", encoding="utf-8")
    folder.expect_skipped.append(".hidden.txt")
    (root / "sub").mkdir()
    os.symlink("..", root / "sub" / "up")
    folder.expect_skipped.append("sub/up -> ..")

    for path in (latin1, utf16le, utf16be, cp949):
        assert path.stat().st_size > 0


@pytest.fixture
def bad_folder(tmp_path, small_embedder):
    root = tmp_path / "docs"
    root.mkdir()
    folder = Folder(root)
    # documents indexed before the bad files arrive
    first = [folder.good("distillation.txt", "knowledge distillation"), folder.good("ko-course.txt", KO),
             folder.good("report.md", "retrieval-augmented generation")]
    pdf_code = codeword(RNG)
    (root / "paper.pdf").write_bytes(make_pdf([[f"The {pdf_code} study of scaling."], ["Page two on data."]]))
    folder.expect_indexed[str((root / "paper.pdf").resolve())] = pdf_code
    settings = make_settings(tmp_path / "data", embedding_model=SMALL_EMBEDDING)
    report = ingest_paths([root], settings, embedder=small_embedder)
    assert report.ok and len(report.added) == 4
    build(folder)
    # a duplicate of an indexed document under another name
    shutil.copyfile(first[0], root / "copy of distillation.txt")
    folder.bad("copy of distillation.txt", None, rf"^duplicate of already indexed {re.escape(str(first[0].resolve()))}; skipped$")
    return folder, settings


def test_bad_files_each_get_one_line_and_good_ones_stay_searchable(bad_folder, small_embedder):
    folder, settings = bad_folder
    files = sum(1 for _ in folder.root.rglob("*"))

    def delete_after_scan(stage, done, total):  # the file disappears between the scan and its loading
        if stage == "load" and done == 0:
            (folder.root / "vanishing.txt").unlink(missing_ok=True)

    started = time.monotonic()
    report = ingest_paths([folder.root], settings, embedder=small_embedder, progress=delete_after_scan)
    seconds = time.monotonic() - started

    by_path: dict[str, str] = {}
    for failure in report.failed:
        line = str(failure)
        assert "\n" not in line and "\r" not in line, line
        line.encode("utf-8")  # printable as is: no undecodable characters left
        assert failure.path not in by_path, f"{failure.path} reported twice"
        by_path[failure.path] = failure.reason
    assert set(by_path) == set(folder.expect_failure), (
        sorted(set(by_path) - set(folder.expect_failure)), sorted(set(folder.expect_failure) - set(by_path)))
    for path, pattern in folder.expect_failure.items():
        assert re.match(pattern, by_path[path]), (path, by_path[path])
    assert len(folder.expect_failure) >= 20

    index = open_index(settings.index_dir)
    assert integrity_problems(index) == []
    assert {d.source for d in index.documents.values()} == set(folder.expect_indexed)
    assert not report.removed

    # Text that needed care came through right.
    text_of = {d.source: " ".join(c.text for c in index.chunks if c.doc_id == d.doc_id)
               for d in index.documents.values()}

    def text(name: str) -> str:
        return text_of[str((folder.root / name).resolve())]

    assert "compression des modèles, été comme hiver" in text("latin1-français.txt")
    for name in ("utf16-le.txt", "utf16-be.txt"):
        assert KO[:20] in text(name) and "l'été dernier, ça a bien marché" in text(name)
    assert KO[:20] in text("korean-cp949.txt") and KO[:20] in text("cut-mid-character.txt")
    assert "\ufffd" not in text("cut-mid-character.txt")
    assert "th\ufffdree" in text("stray-byte.txt")
    assert "\x00" not in text("nul-after-64k.txt")
    budget = settings.chunk_max_tokens
    for name in ("long-line.txt", "minified.md"):
        doc = next(d for d in index.documents.values() if d.source == str((folder.root / name).resolve()))
        sizes = [estimate_tokens(c.text) for c in index.chunks if c.doc_id == doc.doc_id]
        assert len(sizes) > 5 and max(sizes) <= budget, (name, max(sizes))

    # Every good document is found by its code word (among the passages a question shows).
    pipeline = RagPipeline(settings, small_embedder)
    missed, first = [], 0
    for source, code in folder.expect_indexed.items():
        hits = pipeline.search(f"What is the {code} technique?", settings.top_k)
        found = [h for h in hits if h.document.source == source and code in h.chunk.text]
        first += bool(hits) and hits[0].document.source == source
        if not found:
            missed.append((Path(source).name, code, [Path(h.document.source).name for h in hits]))
    assert not missed

    # Nothing changed since: the same lines, no new version, nothing embedded again.
    again = ingest_paths([folder.root], settings, embedder=small_embedder)
    assert {f.path for f in again.failed} == set(by_path) - {str(folder.root / "vanishing.txt")}
    assert again.version == report.version and again.embedded == 0

    record(
        "bad_inputs",
        files_in_folder=files,
        refused_with_one_line=len(by_path),
        indexed_documents=len(index.documents),
        searchable=f"{len(folder.expect_indexed)}/{len(folder.expect_indexed)} in the top {settings.top_k}, "
                   f"{first} ranked first",
        skipped_by_design=folder.expect_skipped,
        ingest_seconds=round(seconds, 1),
        reasons={printable(Path(p).name): r for p, r in sorted(by_path.items())},
    )


@pytest.mark.parametrize(
    "name, text",
    [
        ("a megabyte without whitespace", "QmFzZTY0" * 125_000),
        ("four megabytes on one line", " ".join(f"word{i}" for i in range(400_000))),
        ("a paragraph of abbreviations", "See Fig. 1. " * 60_000),
        ("a megabyte of Hangul without spaces", "가나다라마바사아자차" * 100_000),
    ],
)
def test_pathological_text_is_chunked_in_bounded_time(name, text):
    """Chunking once took quadratic time on these (a megabyte without spaces: over 20 minutes)."""
    doc = Document(doc_id="d", source="s", title="t", text=text, content_hash="h")
    started = time.monotonic()
    chunks = chunk_document(doc, 200, 1)
    seconds = time.monotonic() - started
    assert chunks and max(estimate_tokens(c.text) for c in chunks) <= 200
    assert chunks[0].start == 0 and chunks[-1].end == len(text.rstrip())
    assert seconds < 120, f"{name}: {seconds:.1f} s"
    record("bad_inputs", **{f"chunking {name} ({len(text) / 1e6:.1f} MB) s": round(seconds, 1)})


def test_names_with_separators_are_sanitised_on_upload(tmp_path):
    """Uploads arrive with names chosen elsewhere: path separators and `..` never leave the uploads folder."""
    from ingest.uploads import sanitize_filename

    for raw in ["../../etc/passwd.txt", "..\\..\\windows\\system.ini.md", "/abs/olute.txt", "..", "...txt",
                "a/../../b.pdf", "C:\\Users\\x\\..\\y.txt", "\x00evil\n.txt", "caf\udce9.txt"]:
        name = sanitize_filename(raw)
        assert name and "/" not in name and "\\" not in name and not name.startswith("."), (raw, name)
        assert (tmp_path / name).resolve().parent == tmp_path.resolve(), (raw, name)
        name.encode("utf-8")
        assert not re.search(r"[\x00-\x1f]", name), (raw, name)
