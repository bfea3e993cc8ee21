"""llama-cpp-python's own OpenAI-compatible server, started on 127.0.0.1 for a test and stopped after it."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from ui_fixtures import free_port

START_LIMIT_S = 120.0


@contextmanager
def llama_cpp_server(model: Path, log_path: Path, *options: str) -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:PORT/v1``) of a running server over ``model``; a server
    that exits or does not answer within START_LIMIT_S fails with the end of its log."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1", *options]
    url = f"http://127.0.0.1:{port}/v1"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_LIMIT_S
            while True:
                if proc.poll() is not None:
                    raise AssertionError(f"llama_cpp.server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
                try:
                    if httpx.get(url + "/models", timeout=2.0, trust_env=False).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"llama_cpp.server did not answer within {START_LIMIT_S:g} s:\n"
                                         f"{log_path.read_text()[-3000:]}")
                time.sleep(0.25)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def mean_pooling_gguf(source: Path, target: Path) -> Path:
    """A copy of the GGUF ``source`` whose metadata sets mean pooling, so llama_cpp.server's /v1/embeddings
    answers one vector per input (a chat model's GGUF sets none, and the server then sends per-token vectors)."""
    import gguf
    from gguf.scripts.gguf_new_metadata import MetadataDetails, copy_with_new_metadata

    reader = gguf.GGUFReader(source, "r")
    arch = reader.get_field(gguf.Keys.General.ARCHITECTURE).contents()
    writer = gguf.GGUFWriter(target, arch=arch, endianess=reader.endianess)
    pooling = {gguf.Keys.LLM.POOLING_TYPE.format(arch=arch): MetadataDetails(gguf.GGUFValueType.UINT32, 1)}  # 1: mean
    copy_with_new_metadata(reader, writer, pooling, [])
    return target
