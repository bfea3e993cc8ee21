"""Checks shared by the Office Open XML readers (.docx, .pptx): the zip must be that kind of file.

A password-protected Office file is not a zip at all: Office wraps the encrypted package in an
OLE2 compound file (the legacy .doc/.ppt container), whose stream is named "EncryptedPackage".
"""

from __future__ import annotations

import io
import zipfile

from ingest.formats.base import LoadError

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def check_package(raw: bytes, kind: str, main_part: str) -> None:
    """Raise LoadError unless ``raw`` is an Office Open XML package holding ``main_part``."""
    if raw.startswith(_OLE2_MAGIC):
        if _ENCRYPTED_STREAM in raw:
            raise LoadError(f"password-protected {kind} file; save a copy without a password")
        raise LoadError(f"legacy binary Office file (.doc/.ppt), not {kind}; save it as {kind}")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoadError(f"not a {kind} file (not a zip package: {exc})") from exc
    if main_part not in names:
        raise LoadError(f"not a {kind} file (a zip without {main_part}; renamed from another kind of file?)")
