"""Choose the sentences of the retrieved passages that best answer the question.

Every indexed sentence already has an EmbeddingGemma vector, so scoring the
sentences of the top passages against the question vector costs a few dot
products. The best sentences, within a token budget, are what the model reads;
the best score also decides whether the documents answer at all.

Example:
    >>> ev = select_evidence(hits, index, query_vec, max_sentences=5, token_budget=320)  # doctest: +SKIP
    >>> ev[0].n, ev[0].sentence[:30]  # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Iterator, Sequence

import numpy as np

from core.text import ITEM_OPENING, completes_korean, estimate_tokens, refers_back, without_item_opening
from ingest.index import Index
from ingest.types import Chunk
from rag.answerability import names_something
from rag.checks import comparable_text
from rag.types import Evidence, Hit

# How much the passage's own rank counts next to the sentence's similarity.
_PASSAGE_WEIGHT = 0.25
# How much a sentence's hubness (``ingest.index.sentence_hubness``, about -0.13 to +0.11 from the 10th to the 90th
# percentile over the bundled corpus) counts against it. The evidence of the answerable questions of the dev set and
# probe sets 1-24 held a gold sentence for 0.916 of 629 at 0.3 against 0.903 without it, 0.911-0.916 from 0.2 to
# 0.5; 5-fold cross-validated on the dev set 0.918-0.928 against 0.907 (session 58, docs/EVALUATION.md). Only a hub
# loses: a sentence far from every other gained as much, and "Please give me a glass of water." (a stray line of the
# Korean overview) was quoted, translated, as the answer to "Et il apporte quel avantage pratique ?". Over the same 629
# questions, a part of a question got a sentence less similar to it than 0.2 for 24 with the gain, 12 without, 10 with
# no hubness; the evidence held a gold sentence for 0.913, 5-fold cross-validated 0.918-0.928 (session 59).
_HUB_WEIGHT = 0.3
_MIN_SENTENCE_CHARS = 12
_LIST_ITEM = re.compile(r"^\s*[•▪◦·*–-]\s+")
_MAX_HEADING_CHARS = 40
# A model's name: capitalised, or opening in lower case before a capital or a digit ("mT5", "mC4").
# Hangul is no part of it: "LongT5는" is LongT5 with a particle.
_NAME = r"(?:[A-Z](?:[^\W가-힣]|[.-])*[^\W가-힣]|[a-z]+[A-Z0-9](?:(?:[^\W가-힣]|[.-])*[^\W가-힣])?)"
# A survey's entry paragraph opens with its subject: "1.19 PaLM [15]: Eq. 8과 유사한 …", "Gopher (DeepMind): …",
# "1.3 mT5 [11]: …". A name the translation writes in Hangul is an entry's subject only with the entry's reference
# after it ("1.17 친칠라 [122]: …"): "프롬프팅: …" or "예: …" open paragraphs about no model.
_ENTRY_SUBJECT = re.compile(rf"[ \t]*(?:\d+(?:\.\d+)*\.?\s+)?(?:({_NAME})\s*(?:\[[^\]\n]*\]\s*|\([^()\n]*\)\s*)?"
                            r"|([가-힣][가-힣\w-]*)\s*\[\d[^\]\n]*\]\s*):\s")
# A sentence about "this model", whose name the sentence before it gave ("이 모델은 T5 [10]의 어텐션을 …" after
# "LongT5 [44]는 …").
_THIS_MODEL = re.compile(r"(?:이|그|해당)\s*(?:모델|LLM)(?=[은는이가의을를\s])|(?:This|That|Ce|Cet|Cette)\s+(?:model|modèle|LLM)\b")
# A sentence opening with a name as its subject: "LongT5 [44]는 …", "GPT-NeoX-20B uses …". A capitalised word
# alone is no name ("However, …", "Les modèles …") unless a citation or a Korean particle follows it ("Codex는 …").
_OPENING_NAME = re.compile(rf"\s*({_NAME})(\s*\[[^\]\n]*\])?\s*([은는이가](?=\s))?")
_MAX_ENTRY_CHUNKS = 4  # how far back a paragraph's opening is looked for
# A sentence that announces what follows it: "… 다음과 같은 편향을 공유합니다.", "… des trois aspects suivants :".
# Not "… 훈련시킨 다음 최종적으로 …" ("then"), nor "… following the release …".
# "아래에서는 추론을 위한 다양한 프롬프 기술에 대해 논의합니다." announces what follows too (probe set 28).
_ANNOUNCES_WHAT_FOLLOWS = re.compile(r":\s*$|(?:다음|아래)(?:과|와|의)|아래에서|ci-dessous|voici|the following|as follows",
                                     re.IGNORECASE)
_ANNOUNCES = re.compile(rf"{_ANNOUNCES_WHAT_FOLLOWS.pattern}|(?:몇|여러|두|세|네|다섯|\d+)\s*가지", re.IGNORECASE)
# After a sentence announcing what follows, a line opening with a short heading and a colon is an item too: the
# overview lists its prompting techniques as "Chain-of-Thought (CoT): …", "Self-Consistency: …" lines. Not after
# one only counting ("이 두 가지 보상은 …" points back at two rewards, and the next entry is another topic).
_HEADED_ITEM = re.compile(rf"\w[\w \t()/-]{{0,{_MAX_HEADING_CHARS - 1}}}:\s+\S")
_MAX_ITEMS = 5
# A model's size after its name: "GPT-NeoX-20B"'s entry calls it "GPT-NeoX".
_SIZE_SUFFIX = re.compile(r"-\d+(?:\.\d+)?[BMK]$", re.IGNORECASE)


@dataclass(frozen=True)
class ScoredSentence:
    hit_index: int
    sentence_index: int
    text: str
    score: float  # cosine similarity with the question
    hubness: float  # ingest.index.sentence_hubness
    rank_score: float  # what selection sorts by


def rank_score(similarity: float, hit: Hit, hubness: float) -> float:
    """What sentences are ranked by: their similarity to the question, their passage's, less their hubness (a
    sentence closer to its neighbours than the median is; one farther from them gains nothing)."""
    return (1 - _PASSAGE_WEIGHT) * similarity + _PASSAGE_WEIGHT * hit.dense - _HUB_WEIGHT * max(hubness, 0.0)


def score_sentences(hits: Sequence[Hit], index: Index, query_vec: np.ndarray) -> list[ScoredSentence]:
    """Every sentence of ``hits`` with its similarity to the question, best first."""
    scored = []
    for i, hit in enumerate(hits):
        texts = hit.chunk.sentence_texts()
        sims = index.sentence_vectors_of(hit.row) @ query_vec
        hubness = index.sentence_hubness_of(hit.row)
        for j, (text, sim) in enumerate(zip(texts, sims.tolist())):
            if len(text.strip()) < _MIN_SENTENCE_CHARS:
                continue
            hub = float(hubness[j])
            scored.append(ScoredSentence(i, j, text.strip(), sim, hub, rank_score(sim, hit, hub)))
    scored.sort(key=lambda s: -s.rank_score)
    return scored


def list_heading(chunk: Chunk, j: int) -> str:
    """The heading of the list that sentence ``j`` of a passage is an item of ("" when it is none): the
    line above the list when it is short and not a sentence. The overview's findings tables list each
    model's findings as bullets under its name ("PaLM", then "• 더 큰 모델은 더 많은 훈련 데이터를
    기억합니다."); without it, an answer cannot say whose finding it states."""
    texts = chunk.sentence_texts()
    if not _LIST_ITEM.match(texts[j]):
        return ""
    for k in reversed(range(j)):
        if _in_list_item(chunk, k):
            # An earlier item of the same list, or the rest of one: LLaMA's third finding follows a
            # two-sentence item ("• LLaMA의 훈련 효율성을 … 제안되었습니다. 이에는 …"), and stopping at its
            # second sentence left "공개 데이터만을 사용하여 … 최첨단 성능을 달성할 수 있습니다." nameless (dev set).
            continue
        line = texts[k].strip().rstrip(":").strip()
        return line if 0 < len(line) <= _MAX_HEADING_CHARS and line[-1] not in ".!?。" else ""
    return ""


def _in_list_item(chunk: Chunk, k: int) -> bool:
    """Sentence ``k`` of the passage opens with a bullet or is on a line that does."""
    start = chunk.sentences[k][0] if chunk.sentences else 0
    return any(_LIST_ITEM.match(chunk.text[at:]) for at in (start, chunk.text.rfind("\n", 0, start) + 1))


def as_read(evidence: Evidence, heading: bool = True) -> str:
    """The sentence as a reader needs it: a list item led by its list's heading ("PaLM: 더 큰 모델은 …"),
    or without it, and without its bullet, when ``heading`` is False."""
    sentence = " ".join(evidence.sentence.split())  # on one line: a layout may have cut it (ingest.chunk.paragraphs)
    if not evidence.heading:
        return sentence
    item = _LIST_ITEM.sub("", sentence, count=1)
    return f"{evidence.heading}: {item}" if heading else item


def as_quoted(evidence: Evidence, heading: bool = True) -> str:
    """The sentence as an answer quotes it: as read (``as_read``), and without the number or bullet that opens
    it as a list item (``core.text.without_item_opening``)."""
    return as_read(replace(evidence, sentence=without_item_opening(evidence.sentence)), heading)


def continuation(evidence: Evidence, index: Index | None = None) -> str:
    """The sentence after ``evidence`` in its document when it opens by pointing back at it ("이를 통해 처리량이
    15% 증가합니다." after GPT-NeoX's parallel layers; "즉, … 미리 예측을 수행한 다음 이러한 예측을 캐시합니다."
    after offline inference, dev set) or lists what it announced ("사전 훈련, 세부 조정 및 프롬프팅."), else "":
    quoted alone, the sentence before it leaves out what it says.

    A sentence that ends its passage is continued from the next passage of ``index`` (passages overlap, and
    where the chunker cut is no reason to leave "이러한 레이어만 세밀 조정되며, 나머지 모델은 고정됩니다." off the
    adapter sentence before it, dev set). A line break after a finished sentence is a paragraph break, as
    ingest reads it (``core.text.wraps_into``), and a demonstrative opening the next paragraph points at the
    document, not at the sentence ("Cette section expliquera …", "이 섹션에서는 …", the English abstract after
    a Korean summary, dev set): across one, only the items a sentence announced continue it. One naming the
    document or a part of it ("This comprehensive guide aims …") points at it wherever it stands (``refers_back``)."""
    following, between = _next_sentence(evidence, index)
    if not following or not (completes_korean(following) or ("\n" not in between and refers_back(following))):
        return ""
    return " ".join(following.split())


def announced_items(evidence: Evidence, index: Index | None = None) -> list[str]:
    """The items of the list ``evidence`` announces ("모델이 직면한 실제 과제는 다음 세 가지 측면에서 비롯됩니다."
    before "• 시끄럽고 구조화되지 않은 입력." and two more bullets, each followed by its explanation), read
    from its document: the first sentence of each item line that follows it, at most ``_MAX_ITEMS``; [] when
    it announces nothing or no list follows. Quoted alone, such a sentence answers "which three?" with
    nothing (dev set); a sentence that is itself an item is the list's, not its announcement."""
    chunk, sentence = evidence.hit.chunk, evidence.sentence
    line = chunk.text.rfind("\n", 0, max(chunk.text.find(sentence), 0)) + 1
    if not _ANNOUNCES.search(sentence) or _LIST_ITEM.match(sentence) or _LIST_ITEM.match(chunk.text[line:]):
        return []
    headed = bool(_ANNOUNCES_WHAT_FOLLOWS.search(sentence))
    items: list[str] = []
    for following, between in _sentences_after(evidence, index):
        if "\n" in between:
            if not (ITEM_OPENING.match(following) or (headed and _HEADED_ITEM.match(following))):
                break
            items.append(" ".join(without_item_opening(following).split()))
            if len(items) == _MAX_ITEMS:
                break
        elif not items:  # its paragraph goes on: what it announced is there, not in a list
            break
    return items


def list_runs_on(chunk: Chunk) -> bool:
    r"""The passage announces a list and ends inside it: the lines after its last announcing sentence are all items
    of a list, which the next passage goes on with. The practical guide's "모델이 직면한 실제 과제는 다음 세 가지
    측면에서 비롯됩니다." ends a passage with the first of the three challenges.

    >>> text = "과제는 다음 세 가지 측면에서 비롯됩니다.\n• 시끄러운 입력."
    >>> list_runs_on(Chunk("c", "d", text, 0, 34, "ko", sentences=((0, 23), (24, 34))))
    True
    >>> list_runs_on(Chunk("c", "d", text + "\n끝입니다.", 0, 40, "ko", sentences=((0, 23), (24, 34), (35, 40))))
    False
    """
    texts = [t.strip() for t in chunk.sentence_texts()]
    announcing = [t for t in texts if _ANNOUNCES.search(t) and not ITEM_OPENING.match(t)]
    if not announcing:
        return False
    tail = chunk.text[chunk.text.rfind(announcing[-1]) + len(announcing[-1]):]
    lines = [line for line in tail.split("\n") if line.strip()]
    return bool(lines) and all(ITEM_OPENING.match(line) for line in lines)


def dangles(sentence: str) -> bool:
    """``sentence`` ends with a colon: what it announces comes after it, and quoted alone it says nothing ("Bien
    sûr, le LLM a aussi quelques défis à résoudre :", "LLM 생성 데이터셋을 사용한 지시어 튜닝:", dev set)."""
    return sentence.rstrip().endswith((":", "："))


def list_text(items: Sequence[str]) -> str:
    """The items as one sentence: "시끄럽고 구조화되지 않은 입력; 학계에서 공식화하지 않은 과제."."""
    return "; ".join(item.rstrip(" .;:") for item in items) + "."


def _next_sentence(evidence: Evidence, index: Index | None) -> tuple[str, str]:
    """The sentence after ``evidence`` in its document and the text between the two, ("", "") when there is
    none or it lies beyond what ``index`` holds."""
    return next(_sentences_after(evidence, index), ("", ""))


def _sentences_after(evidence: Evidence, index: Index | None) -> Iterator[tuple[str, str]]:
    """The sentences after ``evidence`` in its document, in order, each with the text between it and the one
    before: through the next passages of ``index`` (passages overlap), until the document ends, a paragraph
    break lies between two passages (ingest strips them of it) or ``index`` holds no more."""
    chunk, row = evidence.hit.chunk, evidence.hit.row
    spans = [_stripped(chunk.text, span) for span in chunk.sentences]
    at = next((k for k, (a, b) in enumerate(spans) if chunk.text[a:b] == evidence.sentence), -1)
    if at < 0:
        return
    end, rest, between = spans[at][1], spans[at + 1:], None
    while True:
        for a, b in rest:
            yield chunk.text[a:b], chunk.text[end:a] if between is None else between
            end, between = b, None
        following = index.chunks[row + 1] if index is not None and 0 <= row < len(index.chunks) - 1 else None
        end += chunk.start  # in the document's offsets, as chunk spans are
        if following is None or following.doc_id != chunk.doc_id or following.start > end + 1:
            return
        rest = [(a, b) for a, b in (_stripped(following.text, span) for span in following.sentences)
                if following.start + a >= end]
        if not rest:
            return
        # One character between the passages is in neither: it may be a line break.
        between = following.text[end - following.start:rest[0][0]] if following.start <= end else "\n"
        chunk, row, end = following, row + 1, rest[0][0]


def _stripped(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """``span`` of ``text`` without the whitespace at its ends."""
    a, b = span
    piece = text[a:b]
    return a + len(piece) - len(piece.lstrip()), b - len(piece) + len(piece.rstrip())


def entry_subject(index: Index, evidence: Evidence) -> str:
    """The name the sentence's paragraph opens with when it is a survey's entry and the sentence a later one
    of it: "또한, 540B 모델 규모에서 …" in "1.19 PaLM [15]: … 또한, 540B …" is about PaLM. The opening may lie in
    the passages before (the passage held only "… 540B … 2.4% …\n\nPaLM-2 [124]: …", and the default model
    wrote the figure about PaLM-2, dev set); "" when the sentence is in no entry."""
    row, chunk = evidence.hit.row, evidence.hit.chunk
    found = chunk.text.find(evidence.sentence)
    if found < 0 or row < 0:
        return ""
    at = chunk.start + found  # chunk texts are spans of their document's text: offsets are the document's
    for _ in range(_MAX_ENTRY_CHUNKS):
        newline = chunk.text.rfind("\n", 0, at - chunk.start)
        if newline >= 0:
            return _subject(chunk.text, newline + 1, at - chunk.start)
        before = index.chunks[row - 1] if row > 0 else None
        # Another document, or a paragraph break between the two (chunk texts are stripped of it): the
        # chunk opens its paragraph.
        if before is None or before.doc_id != chunk.doc_id or before.end < chunk.start - 1:
            return _subject(chunk.text, 0, at - chunk.start)
        row, chunk = row - 1, before
    return ""


def earlier_list_heading(index: Index, evidence: Evidence) -> str:
    """The heading of the list the sentence is an item of (``list_heading``) when its passage opens inside the list and
    the heading lies in the passages before: the overview's OPT-IML findings ("OPT-IML", then "• 미세 조정 중 5% 정도의
    사전 훈련 데이터를 …") were split between two passages, and the second one's items, read alone, named no model:
    asked "OPT-IML donne des proportions ?", the answer stating the 5% was refused as stating no figure about OPT-IML
    (probe set 5)."""
    chunk, row = evidence.hit.chunk, evidence.hit.row
    texts = [t.strip() for t in chunk.sentence_texts()]
    sentence = evidence.sentence.strip()
    if row < 0 or sentence not in texts or not _LIST_ITEM.match(sentence):
        return ""
    if not all(_in_list_item(chunk, k) for k in range(texts.index(sentence))):
        return ""  # the list opens in this passage: list_heading read it
    for _ in range(_MAX_ENTRY_CHUNKS):
        before = index.chunks[row - 1] if row > 0 else None
        if before is None or before.doc_id != chunk.doc_id or before.end < chunk.start - 1:
            return ""
        items = before.sentence_texts()
        above = [k for k in range(len(items)) if not _in_list_item(before, k)]
        if above:
            return list_heading(before, above[-1] + 1) if above[-1] + 1 < len(items) else ""
        row, chunk = row - 1, before
    return ""


def antecedent_subject(evidence: Evidence) -> str:
    """The name the sentence before opens with, in the same paragraph of the passage, when the sentence speaks of
    "this model" (``_THIS_MODEL``); "" otherwise. Quoted after mT5's sentences, the overview's "이 모델은 T5 [10]의
    어텐션을 TGlobal 어텐션으로 대체하고 …", LongT5's, read as mT5's (dev-094, run Y1).

    >>> chunk = Chunk("c", "d", "LongT5 [44]는 TGlobal을 제안합니다. 이 모델은 4098 길이로 훈련됩니다.", 0, 50, "ko",
    ...               sentences=((0, 28), (29, 50)))
    >>> hit = Hit(chunk=chunk, document=None, score=0.5, dense=0.5, row=0)
    >>> antecedent_subject(Evidence(1, hit, "이 모델은 4098 길이로 훈련됩니다.", 0.5))
    'LongT5'
    """
    sentence = evidence.sentence.strip()
    if not _THIS_MODEL.match(sentence):
        return ""
    chunk = evidence.hit.chunk
    spans = [(a, b) for a, b in chunk.sentences if chunk.text[a:b].strip() == sentence]
    before = [(a, b) for a, b in chunk.sentences if spans and b <= spans[0][0]]
    if not before or "\n" in chunk.text[before[-1][1]:spans[0][0]]:
        return ""
    opening = _OPENING_NAME.match(chunk.text[before[-1][0]:before[-1][1]])
    if not opening:
        return ""
    name, cited, particle = opening.groups()
    spelled_as_name = any(ch.isupper() or ch.isdigit() for ch in name[1:])
    return name if names_something(name) and (cited or particle or spelled_as_name) else ""


def _subject(text: str, start: int, end: int) -> str:
    entry = _ENTRY_SUBJECT.match(text, start)
    return (entry.group(1) or entry.group(2)) if entry and entry.end() <= end else ""


def select_evidence(
    hits: Sequence[Hit],
    index: Index,
    query_vec: np.ndarray,
    max_sentences: int = 5,
    token_budget: int = 320,
    count_tokens: Callable[[str], int] = estimate_tokens,
    context_sentences: int = 0,
    part_vecs: Sequence[np.ndarray] = (),
) -> list[Evidence]:
    """The best sentences within ``token_budget``, numbered by passage in order of relevance, and the
    sentence following each of the ``context_sentences`` best (``Evidence.context``), beyond the budget.
    For a question asking several things, ``part_vecs`` holds its parts' vectors (``rag.question.question_parts``):
    the best sentence for each part comes second to the best for the whole (``Evidence.answers_part``).

    Passage numbers ([1], [2], ...) follow the best sentence of each passage, so [1] is
    the passage holding the single best sentence.
    """
    scored = score_sentences(hits, index, query_vec)
    for_parts, part_scores = _best_for_parts(hits, index, part_vecs, scored)
    if for_parts:  # right after the best sentence for the whole question, one for each part of it
        head = scored[:1] + [s for s in for_parts if s is not scored[0]]
        scored = head + [s for s in scored if all(s is not h for h in head)]
    chosen: list[ScoredSentence] = []
    used, seen = 0, set()
    for sentence in scored:
        key = comparable_text(sentence.text)
        if key in seen:  # documents repeat themselves; a second copy tells the model nothing new
            continue
        cost = count_tokens(sentence.text)
        if used + cost > token_budget and chosen:
            continue
        chosen.append(sentence)
        seen.add(key)
        used += cost
        if len(chosen) == max_sentences:
            break
    numbers: dict[int, int] = {}
    for sentence in chosen:
        numbers.setdefault(sentence.hit_index, len(numbers) + 1)
    context = _following(chosen[:context_sentences], scored, chosen, seen)
    # In the prompt, each passage's sentences appear in reading order.
    chosen = sorted(chosen + context, key=lambda s: (numbers[s.hit_index], s.sentence_index))
    evidence = [Evidence(numbers[s.hit_index], hits[s.hit_index], s.text, s.score,
                         list_heading(hits[s.hit_index].chunk, s.sentence_index), s in context,
                         any(s is p for p in for_parts),
                         next((score for p, score in zip(for_parts, part_scores) if p is s), 0.0), s.hubness)
                for s in chosen]
    return [e if e.heading else replace(e, heading=entry_heading(index, e)) for e in evidence]


def _best_for_parts(hits: Sequence[Hit], index: Index, part_vecs: Sequence[np.ndarray],
                    scored: Sequence[ScoredSentence]) -> tuple[list[ScoredSentence], list[float]]:
    """Of ``scored``, the sentence ranking best for each part of the question (ranked as ``rank_score`` does,
    with the part's similarity), once each, and its similarity to that part. Over the dev set and probe sets 1 to
    4 (189 answerable questions), the evidence then held a gold sentence 279 times against 274, and the quotes an
    answer without a lead would hold stated every fact for 95 questions against 91 (with
    ``rag.compose.quote_candidates`` putting these sentences second; session 38, docs/EVALUATION.md)."""
    if not part_vecs or not scored:
        return [], []
    parts = np.stack(part_vecs).T
    similarities = [index.sentence_vectors_of(hit.row) @ parts for hit in hits]  # sentences × parts, per hit
    best: list[ScoredSentence] = []
    best_scores: list[float] = []
    for p in range(parts.shape[1]):
        top = max(scored, key=lambda s: rank_score(float(similarities[s.hit_index][s.sentence_index, p]),
                                                    hits[s.hit_index], s.hubness))
        score = float(similarities[top.hit_index][top.sentence_index, p])
        found = next((i for i, b in enumerate(best) if b is top), None)
        if found is None:
            best.append(top)
            best_scores.append(score)
        else:  # the best sentence for two parts: its similarity to the closer one
            best_scores[found] = max(best_scores[found], score)
    return best, best_scores


def entry_heading(index: Index, evidence: Evidence) -> str:
    """The subject of the survey entry the sentence is a later one of (``entry_subject``), or of "this model" in it
    (``antecedent_subject``), as its heading, when the sentence does not name it: read or quoted alone, "사전 훈련
    데이터의 90% 이상이 영어로 구성되어 있습니다." or "또한, 540B 모델 규모에서 … 2.4%를 기억하는 …" gives a figure about no
    model (LaMDA's, PaLM's). Over the 118 dev
    questions, 24 of the first four quote candidates were such sentences; an answer quoting LLaMA-2's "사전 훈련된
    모델은 … 40% 더 많은 훈련 데이터를 …" said "A pre-trained model has 40% more training data" (dev-058, run W0)."""
    subject = earlier_list_heading(index, evidence) or entry_subject(index, evidence) or antecedent_subject(evidence)
    named = evidence.sentence.casefold()
    if not subject or subject.casefold() in named or _SIZE_SUFFIX.sub("", subject).casefold() in named:
        return ""
    return subject


def _following(best: Sequence[ScoredSentence], scored: Sequence[ScoredSentence], chosen: Sequence[ScoredSentence],
               seen: set[str]) -> list[ScoredSentence]:
    """The sentence after each of ``best`` in its passage, unless already chosen: a finding often continues
    in a sentence that names neither the question's terms nor its subject ("저자들은 Gopher (280B)와 동일한
    계산 예산으로 70B 모델을 훈련하지만 …" after Chinchilla's rule; "이 강력한 버전은 Github Copilot2를
    구동합니다." after Codex's sampling), so it scores too low to be chosen on its own."""
    by_place = {(s.hit_index, s.sentence_index): s for s in scored}
    taken = {(s.hit_index, s.sentence_index) for s in chosen}
    following = []
    for s in best:
        after = by_place.get((s.hit_index, s.sentence_index + 1))
        if after and (after.hit_index, after.sentence_index) not in taken and comparable_text(after.text) not in seen:
            following.append(after)
            taken.add((after.hit_index, after.sentence_index))
    return following


def best_score(evidence: Sequence[Evidence]) -> float:
    return max((e.score for e in evidence), default=0.0)


def group_by_passage(evidence: Sequence[Evidence]) -> list[tuple[int, Hit, list[str]]]:
    """(n, hit, sentences as read) per passage, in passage-number order."""
    groups: dict[int, tuple[Hit, list[str]]] = {}
    for e in evidence:
        groups.setdefault(e.n, (e.hit, []))[1].append(as_read(e))
    return [(n, hit, sentences) for n, (hit, sentences) in sorted(groups.items())]
