"""Cleaning on real excerpts of the corpus: debris goes, every real sentence stays."""

from __future__ import annotations

import re
import unicodedata

import pytest

from helpers_ingest import CORPUS
from ingest.clean import clean_pages, clean_text

OVERVIEW = CORPUS / "comprehensive-overview-of-llms.ko.txt"
GUIDE_KO = CORPUS / "harnessing-llms-practical-guide.ko.txt"


def _excerpt(path, first: str, last: str) -> str:
    """The lines of ``path`` from the one containing ``first`` to the one containing ``last``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    i = next(n for n, line in enumerate(lines) if first in line)
    j = next(n for n, line in enumerate(lines) if n > i and last in line)
    return "\n".join(lines[i : j + 1])


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def test_cid_and_formula_debris_removed_sentences_kept():
    raw = _excerpt(OVERVIEW, "F. 레이어 정규화", "나는 gain 매개변수입니다")
    assert "(cid:88)" in raw and "\n알\n" in raw  # the debris really is in the seed
    cleaned = clean_text(raw)

    assert "(cid:" not in cleaned
    one_char_lines = [line for line in _lines(cleaned) if len(line) == 1]
    assert one_char_lines == []  # "알", "나", "엔", "i" were formula fragments
    assert "\n알\n" not in cleaned and "\n나\n" not in cleaned
    for sentence in (
        "F. 레이어 정규화",
        "레이어 정규화는 빠른 수렴을 이끌어내며, 트랜스포머에서 널리 사용되는 구성 요소입니다.",
        "1. 레이어 정규화: 레이어 정규화는 레이어 (l)의 모든 은닉 유닛에 대한 통계를 다음과 같이 계산합니다.",
        "LayerNorm은 가중치의 재조정과 분포의 재중심화에 대한 불변성을 제공합니다.",
        "2. RMSNorm: [75]은 LayerNorm의 불변성 특성이 가짜라고 주장하며",
        "Please give me a glass of water.",
        "I need to go to the bank to withdraw some money.",
        "gl이 어디에 있나요?",
        "나는 gain 매개변수입니다.",
    ):
        assert sentence in cleaned, sentence
    assert len(cleaned) < len(raw)


def test_consecutive_duplicate_formula_lines_collapse():
    raw = _excerpt(OVERVIEW, "1. ReLU [69]", "SwiGLU(x,W,V,b,c,β) = Swishβ(xW + b) ⊗ (xV + c).")
    assert raw.count("ReLU(x) = max(0,x)") == 2
    cleaned = clean_text(raw)
    assert cleaned.count("ReLU(x) = max(0,x) (1)") == 1  # runs of spaces squeezed too
    assert cleaned.count("GLU(x,W,V,b,c) = (xW + b) ⊗ σ(xV + c), (2)") == 1
    # a duplicate separated only by a blank line is still a duplicate
    assert cleaned.count("ReGLU(x,W,V,b,c) = max(0,xW + b)⊗,") == 1
    assert "1. ReLU [69]: ReLU(정류된 선형 유닛)는" in cleaned
    assert "GLU는 [73]에서 수정되어" in cleaned


def test_repeated_title_lines_keep_first_copy():
    raw = GUIDE_KO.read_text(encoding="utf-8")
    title = "대규모 언어 모델의 진화 트리, ChatGPT에 대한 매우 자세한 먹기 가이드입니다."
    assert raw.count(title) >= 3
    cleaned = clean_text(raw)
    assert cleaned.count(title) == 1
    assert "실제 탐색 과정에서 실무자들은 자신의 응용 분야에 적합한 AI 모델을 찾는 데 어려움을 겪을 수 있습니다." in cleaned
    assert "논문: https://arxiv.org/abs/2304.13712" in cleaned
    assert "1 소개" in cleaned


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name)
def test_no_real_line_is_lost_in_any_seed(path):
    """Every line of 15+ characters (after the intended normalisation) survives cleaning."""
    raw = path.read_text(encoding="utf-8")
    cleaned = clean_text(raw)
    normalised = [re.sub(r"[ \t]{2,}", " ", re.sub(r"\s?\(cid:\d+\)", "", line)).strip() for line in raw.split("\n")]
    missing = [line for line in normalised if len(line) >= 15 and line not in cleaned]
    assert missing == []
    assert cleaned.endswith("\n") and not cleaned.endswith("\n\n")


def test_nfc_controls_and_line_endings():
    decomposed = unicodedata.normalize("NFD", "한국어 모델과 café")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    text = f"{decomposed}\r\nzero\u200bwidth\x07 bell\r\n\n\n\n\nnext\ufeff paragraph\r\n"
    cleaned = clean_text(text)
    assert cleaned == "한국어 모델과 café\nzerowidth bell\n\nnext paragraph\n"
    assert unicodedata.is_normalized("NFC", cleaned)


def test_short_line_rules():
    text = "Models such as\n\nT5\n\nare encoder-decoders.\nx\n\nab\ncd\nef\nA real closing sentence.\n"
    cleaned = clean_text(text)
    assert "\nT5\n" in cleaned  # a lone two-character line (a model name) is kept
    assert "\nx\n" not in cleaned  # one-character lines go
    assert "ab" not in _lines(cleaned) and "cd" not in _lines(cleaned)  # runs of short lines go
    assert "A real closing sentence." in cleaned and "are encoder-decoders." in cleaned


def test_only_debris_cleans_to_empty():
    assert clean_text("(cid:12)\n a \n\n b\n") == ""
    assert clean_text("") == ""


def test_clean_pages_removes_running_titles_across_pages():
    header = "Journal of Large Models, Vol. 3"
    pages = [f"{header}\nBody of page {n}, a full sentence here.\n{n}\n" for n in range(1, 5)]
    cleaned = clean_pages(pages)
    assert len(cleaned) == 4
    assert cleaned[0].startswith(header)
    assert all(header not in page for page in cleaned[1:])
    for n, page in enumerate(cleaned, start=1):
        assert f"Body of page {n}, a full sentence here." in page
        assert f"\n{n}\n" not in page  # the lone page number is debris
    # a line that repeats on only two pages is content, not a running title
    two = clean_pages(["Shared line of text\nA\u00a0one.", "Shared line of text\nB two."])
    assert all("Shared line of text" in page for page in two)
