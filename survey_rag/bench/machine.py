"""The machine the bench ran on, and the time and resident memory of each stage.

Example:
    >>> meter = StageMeter()
    >>> with meter.stage("nothing"):
    ...     pass
    >>> meter.records["nothing"].seconds >= 0
    True
"""

from __future__ import annotations

import logging
import os
import platform
import resource
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import faiss
import numpy

from core.settings import Settings
from rag.llm.llama_cpp_backend import llama_cpp_version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MachineInfo:
    """CPU, cores, memory and library versions, for reading the numbers later."""

    cpu: str
    cores: int | None
    cores_usable: int
    memory_bytes: int
    platform: str
    python: str
    versions: dict[str, str]
    n_threads: int
    load_average: tuple[float, float, float]


def machine_info(settings: Settings) -> MachineInfo:
    """This machine, now (its load average included)."""
    import torch  # seconds to import: loaded by the bench only, not by every command of the CLI

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return MachineInfo(
        cpu=cpu,
        cores=os.cpu_count(),
        cores_usable=len(os.sched_getaffinity(0)),
        memory_bytes=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        platform=platform.platform(),
        python=platform.python_version(),
        versions={"llama_cpp": llama_cpp_version(), "torch": torch.__version__, "faiss": faiss.__version__,
                  "numpy": numpy.__version__},
        n_threads=settings.n_threads,
        load_average=os.getloadavg(),
    )


def _proc_status_bytes(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def rss_bytes() -> int | None:
    """Resident memory of this process now."""
    return _proc_status_bytes("VmRSS")


def file_rss_bytes() -> int | None:
    """The part of the resident memory that is mapped files."""
    return _proc_status_bytes("RssFile")


def peak_rss_bytes() -> int:
    """Peak resident memory since the last ``reset_peak_rss`` (or since start)."""
    hwm = _proc_status_bytes("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak_rss() -> bool:
    """Start a new peak-memory window (Linux: ``5`` into clear_refs); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@dataclass(frozen=True)
class StageRecord:
    seconds: float
    peak_rss_bytes: int
    rss_after_bytes: int | None


class StageMeter:
    """Seconds and peak resident memory of each named stage."""

    def __init__(self) -> None:
        self.records: dict[str, StageRecord] = {}
        self.peaks_resettable = True

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("bench: %s", name)
        self.peaks_resettable = reset_peak_rss() and self.peaks_resettable
        started = time.perf_counter()
        yield
        self.records[name] = StageRecord(time.perf_counter() - started, peak_rss_bytes(), rss_bytes())
