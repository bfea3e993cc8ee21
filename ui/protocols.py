"""What the chat page needs from the answering side: ``rag.pipeline.RagPipeline`` satisfies it, and so
does the stub the UI tests use (``tests/ui_fixtures.py``); ``tests/test_ui_handlers.py`` checks both."""

from __future__ import annotations

from typing import Iterator, Mapping, Protocol, Sequence

from core.settings import Settings
from ingest.embed_cache import TextEmbedder
from ingest.types import IndexedDocument
from rag.types import Event


class NamedModel(Protocol):
    @property
    def name(self) -> str: ...


class DocumentIndex(Protocol):
    @property
    def documents(self) -> Mapping[str, IndexedDocument]: ...

    @property
    def version(self) -> str:
        """The index version answers are drawn from (stored with a rating)."""


class IndexedRetriever(Protocol):
    @property
    def index(self) -> DocumentIndex: ...


class AnswerService(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def embedder(self) -> TextEmbedder | None:
        """The loaded embedder uploads are ingested with (None: ingest loads the settings' one)."""

    @property
    def generator(self) -> NamedModel: ...

    def retriever(self) -> IndexedRetriever:
        """The live index version's retriever; raises IndexStoreError when there is no index."""

    def warm_up(self, prime_model: bool = True) -> None: ...

    def stream(self, question: str, history: Sequence[str] = (), top_k: int | None = None,
               max_answer_tokens: int | None = None, documents: Sequence[str] | None = None) -> Iterator[Event]:
        """SourcesEvent, then TokenEvents, then one AnswerEvent; raises QuestionError for a bad question.
        ``documents``: the doc ids to search (None: all)."""
