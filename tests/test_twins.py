"""The corpus's own translations of evidence sentences (rag.twins), with the real default embedder and a
real index of two versions of one short text."""

from __future__ import annotations

import pytest

from conftest import make_settings
from ingest.index import open_index
from ingest.pipeline import ingest_paths
from rag.twins import corpus_translations, with_twins
from rag.types import Evidence, Hit

KOREAN = ("# 안내\n\n대형 언어 모델은 방대한 지식 덕분에 지식 집약적인 작업을 잘 처리합니다. "
          "GPT-3는 퓨샷 학습이 가능하다는 것을 처음으로 보여주었습니다. "
          "고양이는 대부분의 포유류보다 훨씬 오래 자며 하루에 열여섯 시간 정도 잠을 잡니다.\n")
FRENCH = ("# Guide\n\nGrâce à leurs vastes connaissances, les grands modèles de langage gèrent bien les tâches à forte "
          "intensité de connaissances. Un modèle a montré pour la première fois que l'apprentissage avec peu "
          "d'exemples est possible. Les chats dorment bien plus que la plupart des mammifères, environ seize heures "
          "par jour.\n")


@pytest.fixture(scope="module")
def settings(tmp_path_factory, embedder):
    folder = tmp_path_factory.mktemp("twins")
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "guide.ko.md").write_text(KOREAN, encoding="utf-8")
    (corpus / "guide.fr.md").write_text(FRENCH, encoding="utf-8")
    settings = make_settings(folder / "data", corpus_dir=corpus)
    assert ingest_paths([corpus], settings, embedder=embedder).ok
    return settings


@pytest.fixture(scope="module")
def index(settings):
    return open_index(settings.index_dir)


def hits_of(index) -> dict[str, Hit]:
    """The passage of each version (each is one), by its language, as retrieval would return it."""
    assert len(index.chunks) == 2
    return {chunk.language: Hit(chunk, index.document_of(chunk), 0.6, 0.6, row=row) for row, chunk in enumerate(index.chunks)}


def evidence_of(hit: Hit, n: int, opening: str) -> Evidence:
    sentence = next(s.strip() for s in hit.chunk.sentence_texts() if s.strip().startswith(opening))
    return Evidence(n, hit, sentence, 0.6)


def test_a_sentence_is_quoted_as_the_corpus_translates_it_when_its_twin_keeps_every_name(index, embedder):
    hits = hits_of(index)
    knowledge, gpt3, cats = (evidence_of(hits["ko"], 1, opening) for opening in ("대형", "GPT-3", "고양이"))
    twins = corpus_translations([knowledge, gpt3, cats], [hits["ko"], hits["fr"]], index, "fr",
                                embedder.encode_documents, 0.67)
    assert twins[knowledge].sentence.startswith("Grâce à leurs vastes connaissances")
    assert twins[cats].sentence.startswith("Les chats dorment")
    # Its nearest French sentence says "a model": a quote must not lose the name the source states.
    assert gpt3 not in twins
    # The twin is evidence of its own passage, numbered after the evidence's passages.
    assert twins[cats].hit.chunk.language == "fr" and twins[cats].n == 2 and twins[cats].score == cats.score


def test_no_twin_without_the_translation_among_the_passages_or_for_a_sentence_in_the_answer_language(index, embedder):
    hits = hits_of(index)
    cats = evidence_of(hits["ko"], 1, "고양이")
    encode = embedder.encode_documents
    assert corpus_translations([cats], [hits["ko"]], index, "fr", encode, 0.67) == {}
    assert corpus_translations([cats], [hits["ko"], hits["fr"]], index, "ko", encode, 0.67) == {}
    # A floor above what any translation reaches finds none.
    assert corpus_translations([cats], [hits["ko"], hits["fr"]], index, "fr", encode, 1.01) == {}
    # Korean evidence for a Korean question: the French sentence's twin is the Korean one.
    chats = evidence_of(hits["fr"], 1, "Les chats")
    twins = corpus_translations([chats], [hits["fr"], hits["ko"]], index, "ko", encode, 0.67)
    assert twins[chats].sentence.startswith("고양이는")


def test_twins_stand_in_for_their_sources_once_in_prompt_order_and_numbered_from_one():
    from rag_fakes import make_hit

    korean = make_hit("첫째 문장입니다. 둘째 문장입니다. 셋째 문장입니다.", doc_id="ko", language="ko", row=0)
    french = make_hit("Première phrase. Deuxième phrase.", doc_id="fr", language="fr", row=1)
    first, second, third = (Evidence(1, korean, s, 0.6) for s in ("첫째 문장입니다.", "둘째 문장입니다.", "셋째 문장입니다."))
    premiere, deuxieme = Evidence(2, french, "Première phrase.", 0.5), Evidence(2, french, "Deuxième phrase.", 0.5)
    # The second sentence's twin is evidence already; the first's comes later in its passage.
    merged = with_twins([first, second, third, deuxieme], {first: premiere, second: deuxieme})
    assert [(e.n, e.sentence) for e in merged] == [(1, "셋째 문장입니다."), (2, "Première phrase."), (2, "Deuxième phrase.")]
    assert with_twins([third], {}) == [third]


def test_a_french_question_reads_the_french_version_where_the_corpus_has_one(settings, embedder):
    from rag.pipeline import RagPipeline
    from rag.types import SourcesEvent
    from rag_fakes import ScriptedGenerator

    reply = "Les chats dorment environ seize heures par jour."
    generator = ScriptedGenerator(reply)
    events = list(RagPipeline(settings, embedder, generator).stream("Combien d'heures par jour dorment les chats ?"))
    shown = next(e for e in events if isinstance(e, SourcesEvent)).evidence
    # Each Korean sentence with a French twin is shown (to the asker and to the model) as its twin, once.
    assert any(e.sentence.startswith("Les chats dorment") for e in shown)
    assert not any(e.sentence.startswith(("고양이", "대형")) for e in shown)
    assert len({(e.hit.row, e.sentence) for e in shown}) == len(shown)
    prompt = generator.calls[0][-1]["content"]
    assert "Les chats dorment" in prompt and "고양이" not in prompt
    assert sorted({e.n for e in shown}) == list(range(1, len({e.n for e in shown}) + 1))


@pytest.mark.slow
def test_the_bundled_french_guide_stands_in_for_the_korean_guide(corpus_settings, embedder):
    from rag.pipeline import RagPipeline

    pipeline = RagPipeline(corpus_settings, embedder)
    hits, evidence = pipeline.evidence("Côté fiabilité, quels aspects faut-il prendre en compte avant de déployer un LLM ?")
    twins = corpus_translations(evidence, hits, pipeline.retriever().index, "fr", embedder.encode_documents,
                                corpus_settings.translation_floor)
    by_source = {e.sentence: twin.sentence for e, twin in twins.items()}
    assert by_source["신뢰성 측면에서는 LLM 견고성 및 교정 기능, 공정성과 편향, 잠재적인 오류 상관 관계 및 보안 문제를 고려해야 합니다."] \
        .startswith("En termes de fiabilité, la robustesse du LLM et les capacités d'étalonnage")
    assert all(twin.hit.chunk.language == "fr" and e.hit.chunk.language != "fr" for e, twin in twins.items())


@pytest.mark.slow
def test_a_translation_that_lost_the_list_its_source_announces_does_not_stand_in(corpus_settings, embedder):
    """The French guide's "… des trois aspects suivants :" translates the Korean guide's announcement of three
    challenges, but its page lost the list that follows the Korean one."""
    from rag.pipeline import RagPipeline

    pipeline = RagPipeline(corpus_settings, embedder)
    hits, evidence = pipeline.evidence("Quels sont les trois défis des tâches du monde réel selon le guide ?")
    announcement = next(e for e in evidence if e.sentence == "모델이 직면한 실제 과제는 다음 세 가지 측면에서 비롯됩니다.")
    twins = corpus_translations(evidence, hits, pipeline.retriever().index, "fr", embedder.encode_documents,
                                corpus_settings.translation_floor)
    assert announcement not in twins
    assert [e.sentence for e in with_twins(evidence, twins)].count(announcement.sentence) == 1
