"""Flushing written files and folders to the disk, so that a rename into place survives a power cut:
the files first, then the folder holding them, then (after the rename) its parent.

Example:
    >>> fsync_file(Path(__file__)); fsync_dir(Path(__file__).parent)
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (the names created, renamed or deleted in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
