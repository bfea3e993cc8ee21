"""Sentence-aware chunking: Korean boundaries, token budget, exact offsets, overlap, headings."""

from __future__ import annotations

import pytest

from helpers_ingest import CORPUS
from core.text import estimate_tokens, is_heading, split_sentences
from ingest.chunk import chunk_document
from ingest.load import load_document, read_manifest
from ingest.types import Document
from core.settings import Settings

MANIFEST = read_manifest(CORPUS)


def _doc(text: str, doc_id: str = "d1", languages=(), pages=()) -> Document:
    return Document(doc_id=doc_id, source=f"/x/{doc_id}.txt", title="t", text=text, content_hash="h",
                    languages=languages, pages=pages)


@pytest.fixture(scope="module")
def corpus_docs() -> dict[str, Document]:
    return {name: load_document(CORPUS / name, 20_000_000, meta) for name, meta in MANIFEST.items()}


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_korean_sentence_boundaries():
    text = "모델이 커졌다. 성능도 좋아졌다! 정말 그런가? 그렇다"
    assert _sentences(text) == ["모델이 커졌다.", "성능도 좋아졌다!", "정말 그런가?", "그렇다"]


def test_korean_sentences_without_final_period():
    text = "대규모 언어 모델은 강력하다 하지만 비용이 크다 그래서 증류를 쓴다"
    assert _sentences(text) == ["대규모 언어 모델은 강력하다", "하지만 비용이 크다", "그래서 증류를 쓴다"]


def test_latin_sentence_boundaries_and_abbreviations():
    text = (
        "Large models are strong, e.g. GPT-4 and PaLM. See Fig. 2 for details. Brown et al. 2020 showed it. "
        "Le modèle (cf. Tableau 1) est grand. « Il apprend vite. » Ensuite, on distille. Does it? Yes."
    )
    assert _sentences(text) == [
        "Large models are strong, e.g. GPT-4 and PaLM.",
        "See Fig. 2 for details.",
        "Brown et al. 2020 showed it.",
        "Le modèle (cf. Tableau 1) est grand.",
        "« Il apprend vite. »",
        "Ensuite, on distille.",
        "Does it?",
        "Yes.",
    ]


def test_sentence_offsets_are_shifted():
    text = "First one. Second one."
    spans = split_sentences(text, offset=100)
    assert [(s.start, s.end) for s in spans] == [(100, 110), (111, 122)]


def test_estimate_tokens():
    assert estimate_tokens("모델" * 50) == pytest.approx(96, abs=2)  # about one token per syllable
    assert estimate_tokens("a" * 360) == pytest.approx(101, abs=2)  # about 3.6 characters per token
    assert estimate_tokens("") == 1


def test_is_heading():
    assert is_heading("F. 레이어 정규화")
    assert is_heading("4.1 Tâches NLU traditionnelles")
    assert is_heading("## Méthodes")
    assert is_heading("미세 조정")
    assert not is_heading("이것은 완전한 문장입니다.")
    assert not is_heading("- a bullet item")
    assert not is_heading("x" * 81)
    assert not is_heading("Line one\nline two")


def _check_chunks(doc: Document, chunks, max_tokens: int) -> None:
    assert chunks, "no chunks"
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert c.doc_id == doc.doc_id
        assert c.text == c.text.strip() and c.text
        assert estimate_tokens(c.text) <= max_tokens, (estimate_tokens(c.text), c.text[:80])
        assert c.language in ("ko", "fr", "en")
        for a, b in c.sentences:
            assert 0 <= a < b <= len(c.text)
    # nothing is lost: every non-blank character is in some chunk
    covered = bytearray(len(doc.text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    lost = [i for i, ch in enumerate(doc.text) if not ch.isspace() and not covered[i]]
    assert lost == [], doc.text[lost[0] : lost[0] + 40]


@pytest.mark.parametrize("max_tokens", [200, 60])
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus_chunks_exact_offsets_budget_and_coverage(corpus_docs, name, max_tokens):
    doc = corpus_docs[name]
    _check_chunks(doc, chunk_document(doc, max_tokens=max_tokens, overlap=1), max_tokens)


def test_five_default_chunks_fit_the_prompt_budget():
    s = Settings.load(environ={})
    assert s.top_k * s.chunk_max_tokens <= s.prompt_token_budget * 0.75  # room left for question and rules


def test_over_long_sentence_is_cut_within_budget():
    words = "토큰 " * 600 + "끝"  # one "sentence" of ~1200 tokens, no punctuation
    doc = _doc("시작 문장입니다.\n\n" + words)
    chunks = chunk_document(doc, max_tokens=100, overlap=1)
    _check_chunks(doc, chunks, 100)
    assert len(chunks) >= 12
    assert all(not c.text.startswith("큰") for c in chunks)  # cut at whitespace, not inside a word
    unbroken = "가" * 500  # no whitespace at all: still cut
    _check_chunks(_doc(unbroken), chunk_document(_doc(unbroken), max_tokens=100), 100)


def test_overlap_shares_a_sentence():
    sentences = [f"문장 번호 {n}번은 여기에서 끝납니다." for n in range(40)]
    doc = _doc(" ".join(sentences))
    chunks = chunk_document(doc, max_tokens=60, overlap=1)
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end  # b begins inside a
        last_of_a = a.text[a.sentences[-1][0] : a.sentences[-1][1]]
        assert b.text.startswith(last_of_a)
    no_overlap = chunk_document(doc, max_tokens=60, overlap=0)
    assert all(b.start >= a.end for a, b in zip(no_overlap, no_overlap[1:]))
    assert len(no_overlap) < len(chunks)


def test_headings_start_sections_and_are_kept():
    text = (
        "1. 소개\n\n" + " ".join(f"소개 문장 {n}번입니다." for n in range(12)) + "\n\n"
        "2. 방법\n\n" + " ".join(f"방법 문장 {n}번입니다." for n in range(12)) + "\n"
    )
    doc = _doc(text)
    chunks = chunk_document(doc, max_tokens=50, overlap=1)
    _check_chunks(doc, chunks, 50)
    assert {c.heading for c in chunks} == {"1. 소개", "2. 방법"}
    for c in chunks:
        if "소개 문장" in c.text:
            assert c.heading == "1. 소개"
        if "방법 문장" in c.text:
            assert c.heading == "2. 방법"
    firsts = [next(c for c in chunks if c.heading == h) for h in ("1. 소개", "2. 방법")]
    assert all(c.text.startswith(c.heading) for c in firsts)  # the heading text is in the passage too
    # no chunk straddles the section boundary
    assert not any("소개 문장" in c.text and "방법 문장" in c.text for c in chunks)


def test_markdown_heading_marker_stripped():
    doc = _doc("## Distillation\n\nA student model learns from a teacher. It is smaller.\n")
    (chunk,) = chunk_document(doc)
    assert chunk.heading == "Distillation"


def test_corpus_headings(corpus_docs):
    overview = chunk_document(corpus_docs["comprehensive-overview-of-llms.ko.txt"])
    hit = next(c for c in overview if "레이어 정규화는 빠른 수렴을 이끌어내며" in c.text)
    assert hit.heading == "F. 레이어 정규화"
    french = chunk_document(corpus_docs["harnessing-llms-practical-guide.fr.txt"])
    hit = next(c for c in french if "Les tâches NLU traditionnelles sont des tâches de base" in c.text)
    assert hit.heading == "4.1 Tâches NLU traditionnelles"


def test_chunk_languages_in_corpus(corpus_docs):
    fr = chunk_document(corpus_docs["harnessing-llms-practical-guide.fr.txt"])
    assert {c.language for c in fr} == {"fr"}
    ko = chunk_document(corpus_docs["llm-finetuning-distillation-prompting-course.ko.txt"])
    assert {c.language for c in ko} == {"ko"}
    mixed = chunk_document(corpus_docs["harnessing-llms-paper-review.ko-en.txt"])
    assert {c.language for c in mixed} == {"ko", "en"}
    english = [c for c in mixed if c.language == "en"]
    assert all("This paper presents" in c.text or "we" in c.text.lower() for c in english)


def test_pdf_chunks_carry_page_numbers():
    page1 = " ".join(f"Sentence {n} on the first page." for n in range(30))
    page2 = " ".join(f"Sentence {n} on the second page." for n in range(30))
    text = page1 + "\n" + page2 + "\n"
    doc = _doc(text, pages=(0, len(page1) + 1))
    chunks = chunk_document(doc, max_tokens=60)
    _check_chunks(doc, chunks, 60)
    for c in chunks:
        assert c.page == doc.page_at(c.start)
        assert c.page == (1 if "first page" in c.text.split(".")[0] else 2)
    assert {c.page for c in chunks} == {1, 2}
    assert all(c.page is None for c in chunk_document(_doc(page1)))


def test_a_pdf_page_of_short_lines_is_chunked_as_prose_not_line_by_line():
    """A mathematics page: formulas and captions are short lines that read as headings. Each used to
    start a section that nothing could join (1,614 chunks of median 26 characters for a 117-page book)."""
    lines = ["Remark 21", "Let X be a Hausdorff space and let K be a compact subset of it.", "⊇X×Y",
             "A green and orange box", "⇒ U ∩ V = ∅", "Then the subset K is closed in X.", "Proof", "Let x ∈ X.", "■"]
    page1 = "\n".join(lines * 3)
    page2 = "\n".join(lines)
    text = page1 + "\n" + page2 + "\n"
    doc = _doc(text, pages=(0, len(page1) + 1))
    chunks = chunk_document(doc, max_tokens=200)
    _check_chunks(doc, chunks, 200)
    assert [c.page for c in chunks] == sorted(c.page for c in chunks) and chunks[-1].text == page2  # pages never joined
    assert len(chunks) <= 4 and min(len(c.text) for c in chunks) > 100  # 36 lines, not 36 chunks
    assert all(is_heading(line) for line in ("⊇X×Y", "A green and orange box", "Proof"))  # what made them sections


def test_chunking_is_deterministic(corpus_docs):
    doc = corpus_docs["harnessing-llms-practical-guide.ko.txt"]
    assert chunk_document(doc) == chunk_document(doc)


def test_lines_a_layout_cut_mid_sentence_are_one_paragraph():
    """The Korean overview (a PDF's text) breaks lines mid-sentence: read line by line, "레드팀/제재/적대적 공격:
    LLM은" was a sentence, and a section heading (ten words at most, no sentence end)."""
    text = ("레드팀/제재/적대적 공격: LLM은\n적대적 탐사를 통해 유해한 행동, 환각, 개인 정보 유출\n및 기타 결함을 나타냅니다. "
            "레드팀은 주로 인간 주석가에\n의존합니다.\n"
            "The experimental results demonstrate the effectiveness\nof the proposed method.\n"
            "주요 결과\n• 시끄럽고 구조화되지 않은 입력.\n• 사용자 지침을 따르세요.\n")
    doc = _doc(text, languages=("ko",))
    (chunk,) = chunk_document(doc)
    _check_chunks(doc, [chunk], 200)
    assert [" ".join(s.split()) for s in chunk.sentence_texts()] == [
        "레드팀/제재/적대적 공격: LLM은 적대적 탐사를 통해 유해한 행동, 환각, 개인 정보 유출 및 기타 결함을 나타냅니다.",
        "레드팀은 주로 인간 주석가에 의존합니다.",
        "The experimental results demonstrate the effectiveness of the proposed method.",
        "주요 결과",  # a heading, then list items: lines of their own
        "• 시끄럽고 구조화되지 않은 입력.",
        "• 사용자 지침을 따르세요.",
    ]
    assert chunk.heading == ""  # no wrapped line read as a heading


def test_a_line_cut_at_a_page_end_stays_on_its_page():
    page1 = "The experimental results demonstrate the effectiveness"
    page2 = "of the proposed method on several benchmarks."
    doc = _doc(f"{page1}\n{page2}\n", pages=(0, len(page1) + 1))
    assert [c.page for c in chunk_document(doc)] == [1, 2]


def test_corpus_wrapped_sentences_are_whole(corpus_docs):
    overview = chunk_document(corpus_docs["comprehensive-overview-of-llms.ko.txt"])
    sentences = {" ".join(s.split()) for c in overview for s in c.sentence_texts()}
    assert ("Self-Align [94]는 LLM에 ICL 예제를 제시하여 LLM에게 응답이 유용하고 윤리적으로 간주되기 위해 "
            "포함되어야 하는 내용을 지시합니다.") in sentences
    assert "레드팀은" not in sentences and not any(c.heading == "레드팀/제재/적대적 공격: LLM은" for c in overview)
    # A line ending "-어", which Kiwi reads as a sentence's end (probe set 26).
    assert ("이들은 로봇이 자연어를 이해하고 생성할 수 있게 해주어 지시 따르기, 데이터 주석 작성 및 공동 문제 해결에 도움이 될 수 "
            "있습니다.") in sentences
