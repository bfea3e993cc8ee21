"""Subcommands that build on the answering pipeline and the chat page."""

from __future__ import annotations

from typing import Callable


def register_commands(add: Callable) -> None:
    """Add ``ask``, ``chat``, ``eval`` and ``bench`` to the parser (``add(name, handler, help)``)."""
