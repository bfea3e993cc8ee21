"""Passages per second of the configured embedder on the first N passages of one corpus document,
each with its sentences (docs/SCALING.md); with SURVEY_RAG_EMBEDDING_URL set, through the server.

    SURVEY_RAG_EMBEDDING_URL=http://127.0.0.1:8080/v1 .venv/bin/python scripts/embedding_server_speed.py 32
"""

import sys, time
from pathlib import Path
from core.settings import Settings
from ingest.chunk import chunk_document
from ingest.embed import Embedder
from ingest.load import load_document
n = int(sys.argv[1])
settings = Settings.load()
doc = load_document(Path("corpus/harnessing-llms-practical-guide.fr.txt"), 10**8)
chunks = chunk_document(doc, settings.chunk_max_tokens, settings.chunk_overlap_sentences)[:n]
emb = Embedder.load(settings)
started = time.perf_counter()
emb.encode_passages_with_sentences([c.text for c in chunks], [c.sentences for c in chunks], [doc.title] * len(chunks))
took = time.perf_counter() - started
inputs = len(chunks) + sum(len(c.sentences) for c in chunks)
print(f"{len(chunks)} passages, {inputs} inputs, {took:.1f} s: {len(chunks) / took:.2f} passages/s, {inputs / took:.1f} inputs/s")
