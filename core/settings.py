"""One typed settings object for the whole pipeline.

Values come from the dataclass defaults, then environment variables named
``SURVEY_RAG_<FIELD>`` (upper case), then explicit overrides such as CLI flags,
in that order.

Example:
    >>> s = Settings.load(overrides={"top_k": 3})
    >>> s.top_k
    3
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from core.errors import UserFacingError

ENV_PREFIX = "SURVEY_RAG_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "survey-rag"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "survey-rag"


class SettingsError(UserFacingError, ValueError):
    """A setting has a value that cannot be used."""


@dataclass(frozen=True)
class Settings:
    # Where things live.
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    data_dir: Path = field(default_factory=_default_data_dir)
    cache_dir: Path = field(default_factory=_default_cache_dir)
    embedding_cache_file: str = ""  # default: <data_dir>/embedding-cache.sqlite

    # Models: a registered name (see core.models) or a local path.
    embedding_model: str = "embeddinggemma-300m"
    # torch: the sentence-transformers fp32 reference; onnx / onnx-int8: the same model exported
    # locally to ONNX Runtime (fp32 / int8 weights), cached under <cache_dir>/models/exported.
    # auto: onnx-int8 when the model's export passes its probe check, else torch (a remembered failure).
    # EmbeddingGemma int8 (docs/BENCHMARKS.md): probe cosine 0.978, dev R@5 0.938 / MRR@10 0.827 against
    # torch's 0.938 / 0.831, 2.3-3.0x torch's passages per CPU-second.
    embedding_backend: str = "auto"
    # An OpenAI-compatible embeddings server (infinity-emb, text-embeddings-inference, vLLM, llama.cpp) instead of
    # the local model; embedding_model is then the model name sent to it (ingest/embed_remote.py, docs/SCALING.md).
    embedding_url: str = ""
    embedding_api_key: str = ""
    embedding_timeout_s: float = 60.0
    embedding_request_batch: int = 64  # inputs per request to the embeddings server
    # What the server's inputs start with (the local model reads its own prompts): EmbeddingGemma's.
    embedding_query_prompt: str = "task: search result | query: "
    embedding_document_prompt: str = "title: none | text: "
    llm_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    llm_url: str = ""  # an OpenAI-compatible server; empty = in-process llama.cpp
    llm_api_key: str = ""
    llm_server_model: str = "default"
    llm_timeout_s: float = 120.0
    n_threads: int = 2
    n_ctx: int = 4096
    embed_batch_size: int = 8

    # Ingestion.
    chunk_max_tokens: int = 200
    chunk_overlap_sentences: int = 1
    max_file_mb: float = 20.0
    ocr_page_timeout_s: float = 120.0  # one scanned page's OCR stops here; the page is reported, the rest kept
    watch_quiet_ms: int = 2000  # `ingest --watch`: re-ingest once no file changed for this long

    # Retrieval and answering.
    top_k: int = 5
    candidate_k: int = 30
    prompt_token_budget: int = 1500
    # Evidence sentences shown to the model (118 dev questions, one run each, docs/EVALUATION.md): six
    # rather than four gave answers with no key fact 0.196 against 0.237, mean share of facts 0.589
    # against 0.570; eight rather than six every fact 0.433 against 0.412, mean 0.612, no fact 0.175.
    # Each chosen in all 5 cross-validation folds (scripts/cv_option_choice.py). The price: more prompt
    # tokens and a later first token.
    evidence_sentences: int = 8
    # At most this many tokens of evidence sentences (and a third of ``prompt_token_budget``).
    evidence_token_budget: int = 360
    # The sentence after each of this many best evidence sentences is shown to the model too (rag.evidence).
    context_sentences: int = 2
    max_answer_tokens: int = 200
    # Best evidence sentence below this: the documents do not answer. With a term of the question (a model,
    # benchmark or method name) in none of the retrieved passages, below ``missing_term_threshold``.
    # Both fitted together on the 118 dev questions (balanced accuracy, 5-fold CV in docs/EVALUATION.md).
    refusal_threshold: float = 0.40
    missing_term_threshold: float = 0.53
    # Evidence at least this close to the question overrides the model's NO_ANSWER (it is asked again);
    # below it, NO_ANSWER or an answer whose every claim was invented is a refusal.
    sure_evidence_threshold: float = 0.50
    support_threshold: float = 0.45
    # A translated quote less similar to its source sentence than this is no translation of it ("CoT와 함께한
    # 파인튜닝은 …" came back as "La pincée de sucre avec le pain au citron …", 0.41; "갤랙티카의 성능은 …" as
    # "The performance of GPT-4 …", 0.65). Not fitted on the dev set: the 1st percentile of the corpus's own
    # translations, the cosine of each French guide sentence with its Korean counterpart (150 mutual nearest
    # neighbours of the two versions of the practical guide; median 0.82; scripts/translation_floor.py).
    # A corpus sentence standing in as an evidence sentence's translation must reach it too (rag.twins).
    # Valid for the default embedder.
    translation_floor: float = 0.67
    # A quote at least this similar to one already in the answer, or to a sentence of the lead, says the same
    # again: it is left out, or takes the lead sentence's place when it says more (rag.compose). The corpus holds
    # the practical guide in two languages, so the French sentence and the translation of its Korean twin both
    # qualify (run V left 7 such quotes out; with the lead compared too, run EE left out 16 against run BB's 6).
    # Not fitted on the dev set: distinct sentences of one text come no closer
    # (the French guide's closest pair of different sentences 0.846; 98th percentile of nearest neighbours
    # 0.843 French, 0.869 Korean; scripts/translation_floor.py). Valid for the default embedder; above 1 it
    # is off.
    quote_repeat_similarity: float = 0.85
    # A reply with a smaller share of its claims supported by a passage is mostly the model's own:
    # the best evidence sentences are shown instead.
    min_supported_share: float = 0.6
    # A reply citing only passages this much less similar to the question than the best passage
    # answered from a side passage: the best evidence sentences are shown instead.
    off_target_margin: float = 0.2
    max_question_chars: int = 2000
    temperature: float = 0.0

    # Chat page.
    host: str = "127.0.0.1"
    port: int = 7860
    max_upload_mb: float = 20.0

    # HTTP API (`survey-rag serve`).
    api_keys: str = ""  # comma-separated; when set, every /v1 request needs "Authorization: Bearer <key>"
    max_concurrent: int = 8  # answers written at once when the LLM is a server (in-process llama.cpp: 1)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        return self.cache_dir / "models"

    @property
    def embedding_cache_path(self) -> Path:
        if self.embedding_cache_file:
            return Path(self.embedding_cache_file).expanduser()
        return self.data_dir / "embedding-cache.sqlite"

    @property
    def keyword_cache_dir(self) -> Path:
        """Saved keyword indexes and keyword tokens (rag.keyword_store)."""
        return self.data_dir / "keyword-cache"

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> "Settings":
        """Defaults, then ``SURVEY_RAG_*`` variables, then ``overrides`` (None values are skipped)."""
        environ = os.environ if environ is None else environ
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, hints[f.name], raw)
        for name, value in (overrides or {}).items():
            if value is None:
                continue
            if name not in hints:
                raise SettingsError(f"unknown setting {name!r}")
            values[name] = _convert(name, hints[name], value)
        return cls(**values)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)


def _convert(name: str, hint: Any, value: Any) -> Any:
    if isinstance(hint, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    try:
        if hint is Path:
            return Path(value).expanduser()
        if hint is bool:
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in {"1", "true", "yes", "on"}
        return hint(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(
            f"setting {name} = {value!r} is not a valid {hint.__name__}; "
            f"fix {ENV_PREFIX}{name.upper()} or the matching command-line flag"
        ) from exc
