"""How similar the corpus's own translations are to their sources, for ``Settings.translation_floor``,
and how close distinct sentences of one text come, for ``Settings.quote_repeat_similarity``.

The bundled corpus holds the practical guide in French and in Korean. Each French sentence is paired
with its nearest Korean sentence where that one's nearest French sentence is it (mutual nearest
neighbours), and the cosines of those pairs, embedded as ``rag.verify.translation_fidelity`` embeds a
quote and its translation, are printed as percentiles with the least similar pairs. Then, for each
version, each distinct sentence's cosine with its nearest other sentence of the same version, as
percentiles with the closest pairs (two quotes closer than that say the same thing):

    .venv/bin/python scripts/translation_floor.py

(The configured embedding model: run it again after changing ``SURVEY_RAG_EMBEDDING_MODEL``.)
"""
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.settings import Settings  # noqa: E402
from core.text import split_sentences  # noqa: E402
from ingest.embed import Embedder  # noqa: E402

FRENCH = REPO / "corpus" / "harnessing-llms-practical-guide.fr.txt"
KOREAN = REPO / "corpus" / "harnessing-llms-practical-guide.ko.txt"


def sentences(path: Path) -> list[str]:
    """The document's sentences of 30 characters or more (titles and list markers say little)."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        found += [line[s.start:s.end] for s in split_sentences(line) if s.end - s.start >= 30]
    return found


def main() -> None:
    embedder = Embedder.load(Settings.load())
    french, korean = sentences(FRENCH), sentences(KOREAN)
    similarity = embedder.encode_documents(french) @ embedder.encode_documents(korean).T
    nearest_korean, nearest_french = similarity.argmax(1), similarity.argmax(0)
    pairs = sorted((float(similarity[i, j]), french[i], korean[j]) for i, j in enumerate(nearest_korean)
                   if nearest_french[j] == i)
    cosines = np.array([c for c, _, _ in pairs])
    print(f"{len(pairs)} mutual nearest pairs of {len(french)} French and {len(korean)} Korean sentences")
    for q in (1, 2, 5, 10, 25, 50):
        print(f"percentile {q:>2}: {np.percentile(cosines, q):.3f}")
    print("least similar pairs:")
    for cosine, fr, ko in pairs[:5]:
        print(f"  {cosine:.3f}  {fr[:70]}  |  {ko[:40]}")
    for path in (FRENCH, KOREAN):
        distinct = sorted(set(sentences(path)))
        vectors = embedder.encode_documents(distinct)
        similarity = vectors @ vectors.T
        np.fill_diagonal(similarity, -1.0)
        nearest = similarity.max(1)
        print(f"{path.name}: nearest other sentence of {len(distinct)} distinct sentences")
        for q in (50, 90, 95, 98, 99, 100):
            print(f"percentile {q:>3}: {np.percentile(nearest, q):.3f}")
        for i in np.argsort(-nearest)[:4]:
            print(f"  {nearest[i]:.3f}  {distinct[i][:60]}  |  {distinct[int(similarity[i].argmax())][:60]}")


if __name__ == "__main__":
    main()
