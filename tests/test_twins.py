"""The corpus's own translations of evidence sentences (rag.twins), with the real default embedder and a
real index of two versions of one short text."""

from __future__ import annotations

import pytest

from conftest import make_settings
from ingest.index import open_index
from ingest.pipeline import ingest_paths
from rag.twins import corpus_translations
from rag.types import Evidence, Hit

KOREAN = ("# 안내\n\n대형 언어 모델은 방대한 지식 덕분에 지식 집약적인 작업을 잘 처리합니다. "
          "GPT-3는 퓨샷 학습이 가능하다는 것을 처음으로 보여주었습니다. "
          "고양이는 대부분의 포유류보다 훨씬 오래 자며 하루에 열여섯 시간 정도 잠을 잡니다.\n")
FRENCH = ("# Guide\n\nGrâce à leurs vastes connaissances, les grands modèles de langage gèrent bien les tâches à forte "
          "intensité de connaissances. Un modèle a montré pour la première fois que l'apprentissage avec peu "
          "d'exemples est possible. Les chats dorment bien plus que la plupart des mammifères, environ seize heures "
          "par jour.\n")


@pytest.fixture(scope="module")
def index(tmp_path_factory, embedder):
    folder = tmp_path_factory.mktemp("twins")
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "guide.ko.md").write_text(KOREAN, encoding="utf-8")
    (corpus / "guide.fr.md").write_text(FRENCH, encoding="utf-8")
    settings = make_settings(folder / "data", corpus_dir=corpus)
    assert ingest_paths([corpus], settings, embedder=embedder).ok
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
