"""The interface every answer-model backend implements, and its error.

``Generator`` is what the answering pipeline needs: stream a chat reply and count prompt tokens.
``PromptPinning`` is an optional capability (llama.cpp in-process): keep the state after a fixed
prompt so that later calls starting the same way compute only what follows it.

Example:
    >>> isinstance(object(), PromptPinning)
    False
"""

from __future__ import annotations

from typing import Iterator, Protocol, Sequence, runtime_checkable

from core.errors import UserFacingError

Message = dict[str, str]


class GenerationError(UserFacingError, RuntimeError):
    """The model or server could not produce an answer; the message says why and what to do."""


class Generator(Protocol):
    name: str

    def stream_chat(
        self, messages: Sequence[Message], max_tokens: int, temperature: float = 0.0, stop: Sequence[str] = (),
        banned: Sequence[str] = (),
    ) -> Iterator[str]:
        """Yield the reply to ``messages`` piece by piece; ``banned`` words are kept out of it where the
        backend can (llama.cpp: each word that is one token of the model, with or without a leading space)."""
        ...

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` costs in this model's prompt."""
        ...


@runtime_checkable
class PromptPinning(Protocol):
    def pin_prompt(self, messages: Sequence[Message]) -> None:
        """Compute ``messages``' prompt once and restore that state after calls with other instructions."""
        ...
