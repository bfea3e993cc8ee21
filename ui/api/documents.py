"""``/v1/documents``: what is indexed, upload and ingest one file, remove one document.

Uploads go through the same upload transaction as the browser page (``ingest.uploads.add_uploads``:
the same checks and one-line reasons as ``survey-rag ingest``, copied into ``<data_dir>/uploads``,
rolled back on failure).

Example:
    >>> document_dict(IndexedDocument("d1", "/x/a.txt", "A", ("en",), "", "h", 3, 0.0))["chunks"]
    3
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from core.settings import Settings
from ingest.index import IndexStoreError, IngestLockedError
from ingest.pipeline import ingest_paths
from ingest.types import IndexedDocument
from ingest.uploads import UploadReport, add_uploads, remove_upload, sanitize_filename
from rag.pipeline import RagPipeline
from ui.api.errors import ApiError
from ui.handlers import LOCKED_MESSAGE


def document_dict(d: IndexedDocument) -> dict:
    return {"id": d.doc_id, "object": "document", "title": d.title, "source": d.source,
            "description": d.description, "languages": list(d.languages), "chunks": d.chunk_count,
            "ingested_at": int(d.ingested_at)}


def indexed(pipeline: RagPipeline) -> dict[str, IndexedDocument]:
    try:
        return dict(pipeline.retriever().index.documents)
    except IndexStoreError:
        return {}


def list_documents(pipeline: RagPipeline) -> dict:
    docs = sorted(indexed(pipeline).values(), key=lambda d: d.title)
    return {"object": "list", "data": [document_dict(d) for d in docs]}


def ingest_upload(path: Path, settings: Settings, pipeline: RagPipeline) -> UploadReport:
    """Check, place and ingest one uploaded file (the browser page's transaction)."""
    return add_uploads([path], settings,
                       lambda paths: ingest_paths(paths, settings, embedder=pipeline.embedder))


def upload_document(filename: str, data: bytes, settings: Settings, pipeline: RagPipeline) -> dict:
    """Ingest the uploaded bytes under the (sanitised) client file name; the indexed document, or an ApiError."""
    before = indexed(pipeline)
    with tempfile.TemporaryDirectory(prefix="survey-rag-upload-") as tmp:
        path = Path(tmp) / sanitize_filename(filename)
        path.write_bytes(data)
        outcome = ingest_upload(path, settings, pipeline)
    if outcome.locked:
        raise ApiError(409, LOCKED_MESSAGE, "ingest_running")
    if outcome.rejected:
        raise ApiError(422, str(outcome.rejected[0]), "file_rejected", "file")
    sources = {str(Path(p).resolve()) for p in outcome.added}
    doc = next((d for d in indexed(pipeline).values() if d.source in sources), None)
    if doc is None:
        raise ApiError(500, f"{filename}: ingested but not found in the index; see the server log", "upload_failed")
    unchanged = outcome.report is not None and doc.source in outcome.report.unchanged
    status = "unchanged" if unchanged else "updated" if doc.doc_id in before else "added"
    return {**document_dict(doc), "status": status}


def delete_document(doc_id: str, settings: Settings, pipeline: RagPipeline) -> dict:
    doc = indexed(pipeline).get(doc_id)
    if doc is None:
        raise ApiError(404, f"no indexed document has the id {doc_id!r}; see GET /v1/documents", "document_not_found")
    try:
        report = remove_upload(doc.source, settings)  # as the page does: the uploaded copy goes too
    except IngestLockedError as exc:
        raise ApiError(409, LOCKED_MESSAGE, "ingest_running") from exc
    return {"id": doc.doc_id, "object": "document", "deleted": bool(report.removed)}
