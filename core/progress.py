"""Progress reporting for long work: tqdm bars in the terminal.

Pipelines report ``(stage, done, total)``; this turns that into one bar per stage.

Example:
    >>> with TqdmProgress() as progress:  # doctest: +SKIP
    ...     ingest_paths([Path("corpus")], settings, progress=progress)
"""

from __future__ import annotations

from tqdm.auto import tqdm

STAGE_LABELS = {
    "scan": "checking files",
    "load": "reading documents",
    "ocr": "PDF pages (OCR where scanned)",  # every page of a PDF goes by; only those without text are OCR'd
    "embed": "embedding passages",
    "write": "writing index",
}


class TqdmProgress:
    def __init__(self) -> None:
        self._bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self._bars.get(stage)
        if bar is None:
            if total == 0:
                return
            bar = self._bars[stage] = tqdm(total=total, desc=STAGE_LABELS.get(stage, stage), unit="item", leave=True)
        bar.total = total
        bar.n = done
        bar.refresh()

    def __enter__(self) -> "TqdmProgress":
        return self

    def __exit__(self, *exc) -> None:
        for bar in self._bars.values():
            bar.close()
