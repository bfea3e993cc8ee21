"""Turn the project's expected failures into one line a user can act on."""

from __future__ import annotations


def user_message(exc: BaseException) -> str | None:
    """The message to show for an expected error, or None for a bug (which should raise)."""
    from ingest.index import IndexStoreError
    from ingest.load import LoadError
    from survey_rag.models import ModelError

    expected: tuple[type[BaseException], ...] = (IndexStoreError, LoadError, ModelError, FileNotFoundError)
    try:
        from rag.generate import GenerationError

        expected += (GenerationError,)
    except ImportError:
        pass
    if isinstance(exc, expected):
        return str(exc)
    if isinstance(exc, RuntimeError) and "cannot load" in str(exc):
        return str(exc)
    return None
