"""Which documents a question is scoped to: names as a person writes them, resolved to document ids.

Example:
    >>> from ingest.types import IndexedDocument
    >>> docs = {"d1": IndexedDocument("d1", "/c/terns.md", "Tern migration", ("en",), "", "h", 3, 0.0)}
    >>> resolve_documents(["TERNS.MD"], docs), resolve_documents(["migration"], docs)
    (['d1'], ['d1'])
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from core.errors import UserFacingError
from ingest.types import IndexedDocument


class UnknownDocumentError(UserFacingError):
    """A document name matches no indexed document."""


def resolve_documents(names: Iterable[str], documents: Mapping[str, IndexedDocument]) -> list[str]:
    """The ids of the documents ``names`` designate: each name is a document id, a file name or
    part of a title (case-insensitive); a name matching none raises UnknownDocumentError."""
    chosen: list[str] = []
    for name in names:
        wanted = name.strip().casefold()
        matches = [d.doc_id for d in documents.values()
                   if wanted and (d.doc_id == name.strip() or Path(d.source).name.casefold() == wanted
                                  or wanted in d.title.casefold())]
        if not matches:
            raise UnknownDocumentError(f"{name!r}: no indexed document has this id, file name or title "
                                       "(see `survey-rag documents` or GET /v1/documents)")
        chosen += [m for m in sorted(matches) if m not in chosen]
    return chosen
