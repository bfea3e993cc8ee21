"""The URLs of the servers a setting points at (an LLM server, an embeddings server).

Example:
    >>> server_url("http://gpu-box:8000/v1/", "SURVEY_RAG_LLM_URL", "http://127.0.0.1:8000/v1", ValueError).path
    '/v1'
    >>> server_url("gpu-box:8000", "SURVEY_RAG_LLM_URL", "http://127.0.0.1:8000/v1", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: SURVEY_RAG_LLM_URL = 'gpu-box:8000' is not an http(s) URL; use e.g. http://127.0.0.1:8000/v1
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


def server_url(url: str, variable: str, example: str, error: type[Exception]) -> SplitResult:
    """``url`` split, without surrounding spaces, query, fragment or trailing slash; ``error`` (one line
    naming the setting ``variable`` and an ``example``) when it is not an http(s) URL with a host."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise error(f"{variable} = {url!r} is not an http(s) URL; use e.g. {example}")
    return parts._replace(path=parts.path.rstrip("/"), query="", fragment="")
