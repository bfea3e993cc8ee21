"""Expected failures: each is one line a user can act on (it names the file or request and the cause).

Every such error derives from ``UserFacingError``; anything else reaching the top is a bug and
is shown with its type and logged with its traceback.

Example:
    >>> user_message(UserFacingError("notes.pdf: encrypted; remove the password first"))
    'notes.pdf: encrypted; remove the password first'
    >>> user_message(KeyError("x")) is None
    True
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected failure whose message is shown to the user as it is."""


def user_message(exc: BaseException) -> str | None:
    """The message to show for an expected error, or None for a bug (which should raise)."""
    if isinstance(exc, (UserFacingError, FileNotFoundError)):
        return str(exc)
    return None
