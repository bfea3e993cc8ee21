from types import SimpleNamespace

import pytest

from ingest.types import Chunk
from rag.names import DocumentNames, NameSpellings, in_latin, latin_headings, latin_spellings
from rag.types import Evidence, Hit

OVERVIEW = DocumentNames.from_texts([
    "Jurassic-1 [110] and PanGu-Σ [92] follow GPT-3, as does AlexaTM [122].",
    "CodeT5 and CodeT5+ [141] are encoder-decoders; Codex powers GitHub Copilot, unlike CodeGen.",
    "Galactica and AlphaCode, then Alpaca.",
])


@pytest.mark.parametrize("hangul, latin", [
    ("팬구-Σ", "PanGu-Σ"),
    ("알렉사TM", "AlexaTM"),
    ("코덱스", "Codex"),  # not CodeGen, which starts the same
    ("코드T5+", "CodeT5+"),  # not CodeT5
    ("알파코드", "AlphaCode"),  # not Alpaca
    ("갤랙티카", "Galactica"),
])
def test_a_transliterated_name_gets_its_documents_latin_spelling(hangul, latin):
    assert OVERVIEW.latin(hangul) == latin


@pytest.mark.parametrize("name", [
    "참새",  # Sparrow, translated rather than transliterated: nothing sounds like it
    "주요 결과",  # a Korean heading ("main results"), not a name
    "PaLM",  # already Latin
])
def test_no_latin_spelling_without_a_clear_match(name):
    assert OVERVIEW.latin(name) is None


def test_only_names_are_candidates():
    names = DocumentNames.from_texts(["the model and its results, as GPT-NeoX-20B and LLaMA show. Table"]).names
    assert set(names) == {"GPT-NeoX-20B", "LLaMA", "Table"}


def _evidence(doc_id: str, heading: str) -> Evidence:
    chunk = Chunk(chunk_id=f"{doc_id}-0", doc_id=doc_id, text="팬구-Σ\n• 무작위 경로 전문가는 …", start=0, end=20, language="ko")
    hit = Hit(chunk=chunk, document=SimpleNamespace(doc_id=doc_id, title="개요"), score=0.5)
    return Evidence(1, hit, "• 무작위 경로 전문가는 …", 0.5, heading)


def test_latin_headings_rewrite_only_what_the_document_spells():
    index = SimpleNamespace(chunks=[
        Chunk(chunk_id="a-1", doc_id="a", text="PanGu-Σ [92] uses Random Routed Experts.", start=0, end=40, language="ko"),
        Chunk(chunk_id="b-1", doc_id="b", text="Nothing named here.", start=0, end=19, language="ko"),
    ])
    spellings = NameSpellings(index)
    evidence = [_evidence("a", "팬구-Σ"), _evidence("b", "팬구-Σ"), _evidence("a", "")]
    assert [e.heading for e in latin_headings(evidence, spellings)] == ["PanGu-Σ", "팬구-Σ", ""]


def test_a_question_and_its_answer_name_the_evidence_headings_models_in_latin():
    """What the figure check reads (``rag.pipeline.states_asked_figure``): a model the question names as the heading
    does, and the heading opening an answer sentence, in the Latin spelling of the heading's document."""
    index = SimpleNamespace(chunks=[
        Chunk(chunk_id="a-1", doc_id="a", text="Galactica and Chinchilla [58] are dense.", start=0, end=40, language="ko"),
    ])
    spelled = latin_spellings([_evidence("a", "갤랙티카"), _evidence("a", "친칠라"), _evidence("a", "참새")],
                              NameSpellings(index))
    assert spelled == {"갤랙티카": "Galactica", "친칠라": "Chinchilla"}
    assert in_latin("갤랙티카는 몇 토큰이었어요?", spelled) == "Galactica는 몇 토큰이었어요?"
    assert in_latin("친칠라: 5000억 개의 토큰 [2] 참새: 규칙 23개 [3]", spelled) == "Chinchilla: 5000억 개의 토큰 [2] 참새: 규칙 23개 [3]"


def test_the_corpus_findings_table_is_headed_in_latin_for_a_french_question(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): the overview heads PanGu-Σ's findings "팬구-Σ"; the
    evidence for a French question carries the Latin name, for a Korean one the document's own."""
    from rag.pipeline import RagPipeline

    pipeline = RagPipeline(corpus_settings, embedder)

    def headings(question: str) -> set[str]:
        return {e.heading for e in pipeline.evidence(question)[1] if "무작위 경로 전문가" in e.sentence}

    assert headings("Peut-on extraire d'un gros modèle sparse un sous-modèle par domaine avec des experts routés au hasard ?") == {"PanGu-Σ"}
    assert headings("무작위 경로 전문가로 큰 희소 모델에서 도메인별 하위 모델을 추출할 수 있나요?") == {"팬구-Σ"}
