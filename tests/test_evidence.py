"""Evidence selection: the best sentences of the retrieved passages, numbered by passage."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from ingest.types import Chunk
from rag.compose import quote_candidates, quoted_continuation
from core.text import split_sentences
from rag.evidence import (announced_items, antecedent_subject, as_quoted, as_read, continuation, earlier_list_heading,
                          entry_heading, entry_subject, list_heading, list_text, select_evidence)
from rag.prompt import format_passages
from rag.types import Evidence, Hit


class VectorIndex:
    """Just what selection reads from an index: each row's sentence vectors, and the passages before a row (each
    of a document of its own here: no survey entry runs on from one into the next)."""

    def __init__(self, rows: list[np.ndarray], hubness: dict[int, np.ndarray] | None = None):
        self.rows = rows
        self.hubness = hubness or {}
        self.chunks = [Chunk(chunk_id=f"other{row}", doc_id=f"other{row}", text="", start=0, end=0, language="en")
                       for row in range(len(rows))]

    def sentence_vectors_of(self, row: int) -> np.ndarray:
        return self.rows[row]

    def sentence_hubness_of(self, row: int) -> np.ndarray:
        return self.hubness.get(row, np.zeros(len(self.rows[row]), dtype=np.float32))


def passage(row: int, sentences: list[str], title: str = "A survey") -> Hit:
    text, spans = "", []
    for s in sentences:
        spans.append((len(text), len(text) + len(s)))
        text += s + " "
    chunk = Chunk(chunk_id=f"c{row}", doc_id=f"d{row}", text=text, start=0, end=len(text), language="en",
                  sentences=tuple(spans))
    return Hit(chunk=chunk, document=SimpleNamespace(title=title, doc_id=f"d{row}"), score=0.5, dense=0.5, row=row)


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_the_passage_with_the_best_sentence_is_number_one():
    hits = [passage(0, ["An unrelated opening sentence.", "Another unrelated sentence here."]),
            passage(1, ["Distillation trains a small student model."])]
    index = VectorIndex([np.stack([unit(0, 1), unit(0.2, 1)]), np.stack([unit(1, 0.1)])])
    evidence = select_evidence(hits, index, unit(1, 0), max_sentences=2)
    assert [(e.n, e.sentence) for e in evidence][0] == (1, "Distillation trains a small student model.")
    assert evidence[0].hit is hits[1]


def test_a_sentence_close_to_many_others_gives_way_to_one_nearly_as_close_to_the_question():
    hub = "When labelled data is limited, the LLM is better than the fine-tuned model."
    answer = "LLMs generalise better than fine-tuned models on out-of-distribution data."
    hits = [passage(0, [hub]), passage(1, [answer])]
    rows = [np.stack([unit(1, 0.3)]), np.stack([unit(1, 0.4)])]  # the hub is the closer to the question
    plain = select_evidence(hits, VectorIndex(rows), unit(1, 0), max_sentences=2)
    assert [e.sentence for e in plain] == [hub, answer]
    hubness = {0: np.array([0.15], dtype=np.float32), 1: np.array([-0.02], dtype=np.float32)}
    evidence = select_evidence(hits, VectorIndex(rows, hubness), unit(1, 0), max_sentences=2)
    assert [(e.n, e.sentence) for e in evidence] == [(1, answer), (2, hub)]
    assert [e.hubness for e in evidence] == pytest.approx([-0.02, 0.15])
    assert [e.sentence for e in quote_candidates(evidence, "en")] == [answer, hub]  # quoted in the same order


def test_a_sentence_far_from_every_other_gains_nothing_by_it():
    stray = "Please give me a glass of water."  # a line a document's translation left in
    answer = "RMSNorm is computationally more efficient than LayerNorm."
    hits = [passage(0, [stray]), passage(1, [answer])]
    rows = [np.stack([unit(1, 0.4)]), np.stack([unit(1, 0.3)])]  # the answer is the closer to the question
    hubness = {0: np.array([-0.3], dtype=np.float32), 1: np.array([0.0], dtype=np.float32)}
    evidence = select_evidence(hits, VectorIndex(rows, hubness), unit(1, 0), max_sentences=1)
    assert [e.sentence for e in evidence] == [answer]


def test_a_sentence_repeated_in_another_passage_is_chosen_once():
    repeated = "Efficiency covers training cost and inference latency."
    hits = [passage(0, [repeated]), passage(1, [repeated.upper()]), passage(2, ["Standard fine-tuning updates every weight."])]
    index = VectorIndex([np.stack([unit(1, 0.1)]), np.stack([unit(1, 0.1)]), np.stack([unit(1, 0.5)])])
    evidence = select_evidence(hits, index, unit(1, 0), max_sentences=3)
    assert [e.sentence.casefold() for e in evidence].count(repeated.casefold()) == 1
    assert any(e.sentence.startswith("Standard fine-tuning") for e in evidence)


def test_the_sentence_after_a_best_one_comes_as_context_and_is_no_quote():
    hits = [passage(0, ["Chinchilla doubles tokens whenever it doubles model size.",
                        "The authors train a 70B model on four times more data.",
                        "An unrelated closing remark about something else."]),
            passage(1, ["Scaling laws guide how large a model should be."])]
    index = VectorIndex([np.stack([unit(1, 0.1), unit(0.1, 1), unit(0.05, 1)]), np.stack([unit(1, 0.6)])])
    plain = select_evidence(hits, index, unit(1, 0), max_sentences=2)
    evidence = select_evidence(hits, index, unit(1, 0), max_sentences=2, context_sentences=1)
    assert all("70B" not in e.sentence for e in plain)
    # In reading order after the sentence it continues, marked as context; only the best one's follower.
    assert [(e.n, e.sentence[:10], e.context) for e in evidence] == [
        (1, "Chinchilla", False), (1, "The author", True), (2, "Scaling la", False)]
    assert all(not e.context for e in quote_candidates(evidence, "en"))


def test_a_question_asking_two_things_gets_a_sentence_for_each_and_it_is_quoted_second():
    # "Can an LLM model the human in HRI, and any known limitations?": the limitations sentence is far from the
    # whole question, close to its second part.
    hits = [passage(0, ["LLMs were explored as zero-shot human models for HRI.",
                        "They reach the prediction performance of specialised models.",
                        "Sensitivity to prompts and spatial reasoning remain limitations."]),
            passage(1, ["LLMs also plan robot actions from language feedback."])]
    index = VectorIndex([np.stack([unit(1, 0, 0), unit(0.7, 0.7, 0), unit(0.2, 0, 1)]), np.stack([unit(0.8, 0.5, 0)])])
    whole, limitations = unit(1, 0.1, 0.1), unit(0.1, 0, 1)
    plain = select_evidence(hits, index, whole, max_sentences=3)
    evidence = select_evidence(hits, index, whole, max_sentences=3, part_vecs=[unit(1, 0, 0), limitations])
    assert all("limitations" not in e.sentence for e in plain)
    assert [e.sentence[:10] for e in evidence if e.answers_part] == ["LLMs were ", "Sensitivit"]
    assert [e.sentence[:10] for e in quote_candidates(evidence, "en")] == ["LLMs were ", "Sensitivit", "LLMs also "]
    # Its score stays its similarity to the whole question: what the answerability gates judge.
    assert [e.score for e in evidence if e.answers_part][1] == pytest.approx(float(unit(0.2, 0, 1) @ whole))


def test_a_list_item_carries_its_lists_heading_into_the_prompt():
    # A findings table: the model's name, then its findings as bullets (the overview's Table II).
    hits = [passage(0, ["PaLM", "• English-centric models translate better into English.", "• Larger models memorise more."])]
    index = VectorIndex([np.stack([unit(0, 1), unit(1, 0.2), unit(1, 0.1)])])
    evidence = select_evidence(hits, index, unit(1, 0), max_sentences=2)
    assert {e.heading for e in evidence} == {"PaLM"}
    assert as_read(evidence[0]) == "PaLM: English-centric models translate better into English."
    assert "PaLM: Larger models memorise more." in format_passages(evidence)


def laid_out(text: str) -> Chunk:
    """A passage as ingest lays it out: each line split into its sentences."""
    spans, at = [], 0
    for line in text.split("\n"):
        spans += [(s.start, s.end) for s in split_sentences(line, at)]
        at += len(line) + 1
    return Chunk(chunk_id="c0", doc_id="d0", text=text, start=0, end=len(text), language="en", sentences=tuple(spans))


@pytest.mark.parametrize("text, j, heading", [
    ("PaLM\n• a finding.\n• another finding.", 2, "PaLM"),  # past the list's earlier items
    ("LLaMA\n• a finding.\n• a finding. It goes on.\n• another finding.", 4, "LLaMA"),  # past an item's second sentence
    ("Findings:\n- a finding.", 1, "Findings"),
    ("PaLM\nNot an item, a sentence.", 1, ""),
    ("This whole sentence above the list ends with a full stop.\n• a finding.", 1, ""),
    ("A paragraph. It ends its line.\n• a finding.", 2, ""),
    ("• a finding.\n• another finding.", 1, ""),  # the heading is in another passage: none
])
def test_list_heading(text, j, heading):
    assert list_heading(laid_out(text), j) == heading


def test_findings_bullets_of_the_corpus_come_with_their_models_name(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): the overview's findings table lists PaLM's findings
    as bullets under its name; the evidence for a question about memorisation carries it."""
    from rag.pipeline import RagPipeline

    _, evidence = RagPipeline(corpus_settings, embedder).evidence("Do larger models memorise more of their training data?")
    memorised = [e for e in evidence if "더 많은 훈련 데이터를 기억" in e.sentence]
    assert memorised and as_read(memorised[0]) == "PaLM: 더 큰 모델은 더 많은 훈련 데이터를 기억합니다."


def test_a_corpus_finding_after_an_item_of_two_sentences_keeps_its_models_name(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): LLaMA's finding on public data follows an item of two
    sentences in the overview's findings table; it still comes with LLaMA's name."""
    from rag.pipeline import RagPipeline

    _, evidence = RagPipeline(corpus_settings, embedder).evidence(
        "Can a model trained only on public data reach state-of-the-art performance?")
    public = [e for e in evidence if "공개 데이터만을 사용하여" in e.sentence]
    assert public and as_read(public[0]).startswith("LLaMA: ")


def test_the_corpus_title_line_is_evidence_but_no_quote(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): the paper review's title line is among the evidence
    for a question naming the survey, and quoting it would answer nobody; it is not a quote candidate."""
    from rag.checks import comparable_text
    from rag.compose import quote_candidates
    from rag.pipeline import RagPipeline

    _, evidence = RagPipeline(corpus_settings, embedder).evidence(
        "Which two families of LLMs does the 'Harnessing the Power of LLMs in Practice' survey introduce first?")
    titles = [e for e in evidence if comparable_text(e.sentence) == comparable_text(e.hit.document.title)]
    assert titles and "Harnessing the Power of LLMs in Practice" in titles[0].sentence
    assert not set(titles) & set(quote_candidates(evidence, "en"))


def test_the_corpus_table_caption_is_evidence_but_no_quote(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): the French guide's caption of its table of encoder-decoder
    models is among the evidence for a question on their future; the table is not in the answer, so neither
    is its caption."""
    from core.text import is_caption
    from rag.compose import quote_candidates
    from rag.pipeline import RagPipeline

    _, evidence = RagPipeline(corpus_settings, embedder).evidence(
        "Est-ce que le guide pense que les modèles encodeur-décodeur ont encore un avenir ?")
    captions = [e for e in evidence if is_caption(e.sentence)]
    assert captions
    assert not set(captions) & set(quote_candidates(evidence, "fr"))


def test_the_corpus_sentence_on_what_a_figure_draws_is_a_quote(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): the overview's sentence giving the steps of the pipeline its
    Figure 13 draws opens with the figure's label but is no caption; it may be quoted, while the captions and the
    sentences saying what a figure shows among the evidence may not."""
    from core.text import is_caption
    from rag.compose import quote_candidates
    from rag.pipeline import RagPipeline

    _, evidence = RagPipeline(corpus_settings, embedder).evidence(
        "For multimodal tool-augmented LLMs, what's the typical sequence of steps the LLM goes through to answer a "
        "user query?")
    steps = [e for e in evidence if e.sentence.startswith("Figure 13") and "→" in e.sentence]
    assert steps and not is_caption(steps[0].sentence)
    candidates = quote_candidates(evidence, "en")
    assert steps[0] in candidates
    assert not any(is_caption(e.sentence) for e in candidates)


def test_the_corpus_sentence_continuing_the_best_one_reaches_the_model(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): the sentence naming the product Codex powers follows
    the best sentence but is too unlike the question to be chosen on its similarity; it reaches the model
    right after it (as context, or chosen since its passage scores by the best sentence: session 20)."""
    from rag.pipeline import RagPipeline

    _, evidence = RagPipeline(corpus_settings, embedder).evidence(
        "How did Codex get working solutions — what sampling trick, and what product does it power?")
    best = max(evidence, key=lambda e: e.score)
    after = evidence[evidence.index(best) + 1]
    assert "Codex" in best.sentence and "Copilot" in after.sentence and after.n == best.n
    assert not after.context or after not in quote_candidates(evidence, "en")  # a context sentence is never quoted


class ChunkIndex:
    """Just what ``entry_subject`` and ``continuation`` read from an index: the chunks, in document order,
    with their sentence spans."""

    def __init__(self, document: str, bounds: list[tuple[int, int]], doc_ids: tuple[str, ...] = ()):
        self.chunks = tuple(Chunk(chunk_id=f"c{i}", doc_id=doc_ids[i] if doc_ids else "d", text=document[a:b], start=a,
                                  end=b, language="ko", ordinal=i, sentences=_line_sentences(document[a:b]))
                            for i, (a, b) in enumerate(bounds))


def _line_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans line by line, as ingest splits each paragraph (a list item is one)."""
    spans, at = [], 0
    for line in text.split("\n"):
        spans.extend((s.start, s.end) for s in split_sentences(line, at))
        at += len(line) + 1
    return tuple(spans)


ENTRIES = ("1.19 PaLM [15]: 인과 디코더입니다. 훈련 속도를 15배 빠르게 합니다. 또한, 540B 모델 규모에서 모델은 "
           "훈련 데이터의 약 2.4%를 기억합니다.\n\nPaLM-2 [124]: PaLM의 더 작은 변형입니다. 크기가 작습니다.")


SPEED, LATER = ENTRIES.index("훈련 속도를"), ENTRIES.index("또한,")


@pytest.mark.parametrize("bounds", [
    [(0, len(ENTRIES))],  # one passage
    [(0, LATER - 1), (SPEED, len(ENTRIES))],  # the entry's opening in the passage before, which overlaps this one
    [(0, SPEED - 1), (SPEED, LATER - 1), (LATER, len(ENTRIES))],  # two passages back, each after a space
])
@pytest.mark.parametrize("sentence, subject", [
    ("또한, 540B 모델 규모에서 모델은 훈련 데이터의 약 2.4%를 기억합니다.", "PaLM"),
    ("크기가 작습니다.", "PaLM-2"),
    ("PaLM-2 [124]: PaLM의 더 작은 변형입니다.", ""),  # the opening sentence names its subject itself
])
def test_a_later_sentence_of_a_survey_entry_is_about_its_subject(bounds, sentence, subject):
    index = ChunkIndex(ENTRIES, bounds)
    row = next(r for r, c in reversed(list(enumerate(index.chunks))) if sentence in c.text)
    hit = Hit(chunk=index.chunks[row], document=SimpleNamespace(title="Survey", doc_id="d"), score=0.5, dense=0.5, row=row)
    assert entry_subject(index, Evidence(1, hit, sentence, 0.5)) == subject


FINDINGS = ("mT0와 BLOOMZ\n\n• 지시 튜닝은 제로샷 일반화를 가능하게 합니다.\n\nOPT-IML\n\n• 작업 크기 샘플링이 중요합니다.\n"
            "• 미세 조정 중 5% 정도의 사전 훈련 데이터를 포함하는 것이 효과적입니다.\n• 추론 데이터를 1%만 추가하면 성능이 향상됩니다.")
ITEMS = FINDINGS.index("• 미세")


@pytest.mark.parametrize("bounds, sentence, heading", [
    # The second passage opens inside OPT-IML's list (chunks overlap): its items are OPT-IML's findings.
    ([(0, FINDINGS.index("• 추론") - 1), (ITEMS, len(FINDINGS))], "• 추론 데이터를 1%만 추가하면 성능이 향상됩니다.", "OPT-IML"),
    ([(0, ITEMS - 1), (ITEMS, len(FINDINGS))], "• 미세 조정 중 5% 정도의 사전 훈련 데이터를 포함하는 것이 효과적입니다.", "OPT-IML"),
    # Three passages back, through one made only of items.
    ([(0, ITEMS - 1), (ITEMS, FINDINGS.index("• 추론") - 1), (FINDINGS.index("• 추론"), len(FINDINGS))],
     "• 추론 데이터를 1%만 추가하면 성능이 향상됩니다.", "OPT-IML"),
    # A paragraph break between the passages (chunk texts are stripped of it): the list ended there.
    ([(0, FINDINGS.index("OPT-IML") - 2), (FINDINGS.index("OPT-IML") + 9, len(FINDINGS))],
     "• 작업 크기 샘플링이 중요합니다.", ""),
])
def test_a_list_item_whose_list_opens_in_the_passage_before_is_headed_by_it(bounds, sentence, heading):
    index = ChunkIndex(FINDINGS, bounds)
    row = len(bounds) - 1
    hit = Hit(chunk=index.chunks[row], document=SimpleNamespace(title="Survey", doc_id="d"), score=0.5, dense=0.5, row=row)
    assert earlier_list_heading(index, Evidence(1, hit, sentence, 0.5)) == heading
    assert entry_heading(index, Evidence(1, hit, sentence, 0.5)) == heading


def test_a_paragraph_break_between_passages_ends_the_entry():
    document = "1.19 PaLM [15]: 인과 디코더입니다.\n\n그 밖의 모델은 540B보다 작습니다."
    index = ChunkIndex(document, [(0, 23), (25, len(document))])
    hit = Hit(chunk=index.chunks[1], document=SimpleNamespace(title="Survey", doc_id="d"), score=0.5, dense=0.5, row=1)
    assert entry_subject(index, Evidence(1, hit, "그 밖의 모델은 540B보다 작습니다.", 0.5)) == ""


def test_a_figure_the_model_moved_to_another_entry_is_dropped(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): the overview's PaLM entry states "540B … 2.4%" in a
    later sentence, in a passage whose only name is the next entry's, PaLM-2; the default model once wrote
    the figure about PaLM-2 (dev set). Judged with its entry's subject, that sentence is dropped."""
    from rag.checks import check_answer
    from rag.pipeline import RagPipeline
    from rag.prompt import sanitize_passage
    from rag.question import prepare_question
    from rag.verify import checked_text

    pipeline = RagPipeline(corpus_settings, embedder)
    question = "PaLM-2는 파라미터 몇 B예요? PaLM보다 작다던데 정확한 숫자가 궁금해요"
    _, evidence = pipeline.evidence(question)
    later = [e for e in evidence if e.sentence.startswith("또한, 540B")]
    assert later and entry_subject(pipeline.retriever().index, later[0]) == "PaLM"
    # The model reads it, and an answer quotes it, under its entry's name.
    assert later[0].heading == "PaLM" and as_quoted(later[0]).startswith("PaLM: 또한, 540B")
    reply = "PaLM-2는 540B 모델 규모에서 훈련 데이터의 약 2.4%를 기억합니다. PaLM-2는 PaLM보다 작습니다."
    asked = prepare_question(question, [], 2000)
    assert checked_text(reply, asked, evidence) == "PaLM-2는 PaLM보다 작습니다."
    # Without the subject, a sentence naming no model may be about any: the figure passed.
    sources = [sanitize_passage(as_read(replace(e, heading=""))) for e in evidence]
    assert "540B" in check_answer(reply, "ko", " ".join(sources), sources).text


@pytest.mark.parametrize("sentence, heading", [
    ("또한, 540B 모델 규모에서 모델은 훈련 데이터의 약 2.4%를 기억합니다.", "PaLM"),
    ("PaLM-2 [124]: PaLM의 더 작은 변형입니다.", ""),  # its own opening names it
    ("PaLM-2의 크기가 작습니다.", ""),  # the sentence names its subject itself
    ("GPT-NeoX는 병렬 레이어를 가집니다.", ""),  # the name without its size
    ("그 밖의 모델은 540B보다 작습니다.", ""),  # in no entry
    # An entry whose name the translation writes in Hangul, with its reference (probe set 5: Chinchilla's figures
    # were written about StarCoder); a topic heading in Hangul, without one, opens no entry.
    ("400개 모델이 50억에서 5000억 개의 토큰으로 훈련됩니다.", "친칠라"),
    ("예시를 3개 줍니다.", ""),
])
def test_a_later_sentence_of_an_entry_is_headed_by_its_subject(sentence, heading):
    """``entry_heading``: read or quoted alone, a figure stays with the model its entry is about."""
    document = ("1.19 PaLM [15]: 인과 디코더입니다. 또한, 540B 모델 규모에서 모델은 훈련 데이터의 약 2.4%를 기억합니다."
                "\n\nPaLM-2 [124]: PaLM의 더 작은 변형입니다. PaLM-2의 크기가 작습니다.\n\n"
                "GPT-NeoX-20B [6]: 자기회귀 모델입니다. GPT-NeoX는 병렬 레이어를 가집니다.\n\n그 밖의 모델은 540B보다 작습니다."
                "\n\n1.17 친칠라 [122]: 계산 최적 모델입니다. 400개 모델이 50억에서 5000억 개의 토큰으로 훈련됩니다."
                "\n\n프롬프팅: 매개변수를 바꾸지 않습니다. 예시를 3개 줍니다.")
    index = ChunkIndex(document, [(0, len(document))])
    hit = Hit(chunk=index.chunks[0], document=SimpleNamespace(title="Survey", doc_id="d"), score=0.5, dense=0.5, row=0)
    assert entry_heading(index, Evidence(1, hit, sentence, 0.5)) == heading


MODELS = ("1.3 mT5 [11]: 101개 언어로 훈련된 다국어 T5 모델. 이 모델은 250,000개의 어휘를 사용합니다.\n\n"
          "LongT5 [44]는 TGlobal 어텐션을 제안합니다. 이 모델은 4098 시퀀스 길이로 사전 훈련됩니다.\n"
          "이 모델은 16k 창으로 세밀 조정됩니다.\n\n"
          "However, attention is costly. This model uses 8k tokens. Codex는 100개 버전을 생성합니다. 이 모델은 77.5%를 풉니다. "
          "LLM은 유용합니다. 이 모델은 크기가 큽니다. 그 밖의 모델은 4098 길이를 씁니다.")


@pytest.mark.parametrize("sentence, heading", [
    ("이 모델은 250,000개의 어휘를 사용합니다.", "mT5"),  # an entry whose name opens in lower case
    ("이 모델은 4098 시퀀스 길이로 사전 훈련됩니다.", "LongT5"),  # "this model" after a sentence opening with its name
    ("이 모델은 16k 창으로 세밀 조정됩니다.", ""),  # a new paragraph: the name before it is another's
    ("This model uses 8k tokens.", ""),  # "However" names nothing
    ("이 모델은 77.5%를 풉니다.", "Codex"),  # a capitalised word with a Korean particle is a name
    ("이 모델은 크기가 큽니다.", ""),  # "LLM" names no model
    ("그 밖의 모델은 4098 길이를 씁니다.", ""),  # no "this model"
])
def test_a_sentence_about_this_model_is_headed_by_the_name_before_it(sentence, heading):
    """``entry_heading`` with ``antecedent_subject``: quoted alone, "this model" is whichever model the answer
    spoke of last (dev-094's answer about mT5 quoted LongT5's "이 모델은 T5 [10]의 어텐션을 …", run Y1)."""
    index = ChunkIndex(MODELS, [(0, len(MODELS))])
    hit = Hit(chunk=index.chunks[0], document=SimpleNamespace(title="Survey", doc_id="d"), score=0.5, dense=0.5, row=0)
    assert entry_heading(index, Evidence(1, hit, sentence, 0.5)) == heading


def test_the_corpus_sentences_about_this_model_keep_their_models_name(corpus_settings, embedder):
    """Real path (bundled corpus, default embedder): the overview's mT5 entry ("1.3 mT5 [11]: …") and its LongT5
    sentence ("LongT5 [44]는 … 이 모델은 T5 [10]의 어텐션을 …") reach the model and the answer under their names."""
    from rag.pipeline import RagPipeline

    pipeline = RagPipeline(corpus_settings, embedder)
    _, evidence = pipeline.evidence("mT5는 몇 개 언어로 학습했고 vocab 크기는 얼마야?")
    vocabulary = [e for e in evidence if "250,000" in e.sentence]
    assert vocabulary and as_quoted(vocabulary[0]).startswith("mT5: 이 모델은")
    _, evidence = pipeline.evidence("Which model replaces T5's attention with TGlobal attention for long inputs?")
    tglobal = [e for e in evidence if e.sentence.startswith("이 모델은 T5")]
    assert tglobal and antecedent_subject(tglobal[0]) == "LongT5" and as_read(tglobal[0]).startswith("LongT5: ")


ADAPTERS = ("어댑터 튜닝: 모듈은 어텐션 및 피드포워드 레이어와 순차적으로 배치됩니다. 이러한 레이어만 세밀 조정되며, 나머지 "
            "모델은 고정됩니다.\n이 섹션에서는 다양한 튜닝 전략을 검토합니다. LLM은 세 가지로 나뉠 수 있습니다.\n"
            "사전 훈련, 세부 조정 및 프롬프팅.")
PLACED = "어댑터 튜닝: 모듈은 어텐션 및 피드포워드 레이어와 순차적으로 배치됩니다."
FROZEN = "이러한 레이어만 세밀 조정되며, 나머지 모델은 고정됩니다."
CUT = ADAPTERS.index(" 이러한")  # a passage ending with PLACED
ITEMS = ADAPTERS.index("사전 훈련")


@pytest.mark.parametrize("bounds, doc_ids, sentence, following", [
    ([(0, len(ADAPTERS))], (), PLACED, FROZEN),  # in its own passage
    ([(0, CUT), (ADAPTERS.index("어텐션"), len(ADAPTERS))], (), PLACED, FROZEN),  # from the next, overlapping passage
    ([(0, CUT), (CUT + 1, len(ADAPTERS))], ("d", "e"), PLACED, ""),  # the next row is another document's
    ([(0, CUT), (CUT + 5, len(ADAPTERS))], (), PLACED, ""),  # text between the two passages is in neither
    # One character between the passages is in neither and may be a line break: only announced items continue.
    ([(0, CUT), (CUT + 1, len(ADAPTERS))], (), PLACED, ""),
    ([(0, ITEMS - 1), (ITEMS, len(ADAPTERS))], (), "LLM은 세 가지로 나뉠 수 있습니다.", "사전 훈련, 세부 조정 및 프롬프팅."),
    # A demonstrative opening the next paragraph points at the document, not at the sentence ...
    ([(0, len(ADAPTERS))], (), FROZEN, ""),
    # ... but the items a sentence announced continue it across a line.
    ([(0, len(ADAPTERS))], (), "LLM은 세 가지로 나뉠 수 있습니다.", "사전 훈련, 세부 조정 및 프롬프팅."),
    ([(0, len(ADAPTERS))], (), "사전 훈련, 세부 조정 및 프롬프팅.", ""),  # the document ends
])
def test_continuation_reads_the_document_not_the_passage(bounds, doc_ids, sentence, following):
    index = ChunkIndex(ADAPTERS, bounds, doc_ids)
    row = next(r for r, c in enumerate(index.chunks) if sentence in c.text)
    hit = Hit(chunk=index.chunks[row], document=SimpleNamespace(title="Survey", doc_id="d"), score=0.5, dense=0.5, row=row)
    assert continuation(Evidence(1, hit, sentence, 0.5), index) == following


CHALLENGES = ("이 섹션은 실제 작업을 다룹니다. 모델이 직면한 실제 과제는 다음 세 가지 측면에서 비롯됩니다.\n\n"
              " • 시끄럽고 구조화되지 않은 입력. 실제 의견은 전문가가 아닌 사람들로부터 나옵니다.\n"
              " • 학계에서 공식화하지 않은 과제. 실제 작업은 잘 정의되지 않습니다.\n"
              " • 사용자 지침을 따르세요. 모델은 사용자의 의도를 이해해야 합니다.\n\n"
              "기본적으로 이러한 퍼즐은 배포 편차로 인해 발생합니다.")
ANNOUNCER = "모델이 직면한 실제 과제는 다음 세 가지 측면에서 비롯됩니다."
THREE = ["시끄럽고 구조화되지 않은 입력.", "학계에서 공식화하지 않은 과제.", "사용자 지침을 따르세요."]
SECOND_ITEM = CHALLENGES.index(" • 학계")


PROMPTING = ("LLM의 추론: LLM은 제로샷 추론자입니다. 아래에서는 추론을 위한 다양한 프롬프 기술에 대해 논의합니다.\n"
             "Chain-of-Thought (CoT): 추론 정보가 포함된 데모를 사용합니다.\n"
             "Self-Consistency: 여러 응답을 생성하고 가장 빈도가 높은 답변을 선택합니다 [102].\n"
             "Tree-of-Thought (ToT): 여러 추론 경로를 탐색합니다 [103].\n\n"
             "이러한 기법은 널리 쓰입니다.")
TECHNIQUES = ["Chain-of-Thought (CoT): 추론 정보가 포함된 데모를 사용합니다.",
              "Self-Consistency: 여러 응답을 생성하고 가장 빈도가 높은 답변을 선택합니다 [102].",
              "Tree-of-Thought (ToT): 여러 추론 경로를 탐색합니다 [103]."]


def evidence_in(document: str, bounds: list[tuple[int, int]], sentence: str) -> tuple[ChunkIndex, Evidence]:
    index = ChunkIndex(document, bounds)
    row = next(r for r, c in enumerate(index.chunks) if sentence in c.text)
    hit = Hit(chunk=index.chunks[row], document=SimpleNamespace(title="Survey", doc_id="d"), score=0.5, dense=0.5, row=row)
    return index, Evidence(1, hit, sentence, 0.5)


@pytest.mark.parametrize("document, bounds, sentence, items", [
    (CHALLENGES, [(0, len(CHALLENGES))], ANNOUNCER, THREE),  # each item's first sentence, not its explanation
    (CHALLENGES, [(0, SECOND_ITEM), (SECOND_ITEM - 20, len(CHALLENGES))], ANNOUNCER, THREE),  # the list runs on
    (CHALLENGES, [(0, SECOND_ITEM)], ANNOUNCER, THREE[:1]),  # as far as the index holds the document
    (CHALLENGES, [(0, len(CHALLENGES))], "• 시끄럽고 구조화되지 않은 입력.", []),  # an item announces no list
    (CHALLENGES, [(0, len(CHALLENGES))], "이 섹션은 실제 작업을 다룹니다.", []),  # its paragraph goes on
    # Followed by a list, but announcing nothing ("다음" for "then"): no continuation.
    ("모델을 훈련시킨 다음 하위 작업에 맞게 조정합니다.\n• 샘플 효율성이 중요합니다.", [(0, 45)],
     "모델을 훈련시킨 다음 하위 작업에 맞게 조정합니다.", []),
    ("Nous observons quelques conclusions :\na) Le décodeur domine.\nb) OpenAI reste en tête.\nPuis la suite.",
     [(0, 90)], "Nous observons quelques conclusions :", ["Le décodeur domine.", "OpenAI reste en tête."]),
    ("The following limits apply.\n- one\n- two\n- three\n- four\n- five\n- six", [(0, 70)],
     "The following limits apply.", ["one", "two", "three", "four", "five"]),  # at most five
    # Entries opening with a heading and a colon, after a sentence announcing what follows (the overview's prompting
    # techniques), as far as such lines go.
    (PROMPTING, [(0, len(PROMPTING))], "아래에서는 추론을 위한 다양한 프롬프 기술에 대해 논의합니다.", TECHNIQUES),
    # After a sentence only counting ("두 가지" points back at two rewards), an entry is the next topic, no item.
    ("이 두 가지 보상은 응답을 순위 매기는 데 사용됩니다.\nSFT와 직접 정렬: PPO는 복잡합니다.", [(0, 60)],
     "이 두 가지 보상은 응답을 순위 매기는 데 사용됩니다.", []),
    # A line opening with no heading is no entry ("# 🎜🎜# Figure 1 : …", a web page's debris).
    ("Cet article résume les conseils :\n# 🎜🎜# Figure 1 : Cet arbre retrace les modèles.", [(0, 90)],
     "Cet article résume les conseils :", []),
])
def test_a_sentence_announcing_a_list_is_continued_by_its_items(document, bounds, sentence, items):
    index, evidence = evidence_in(document, bounds, sentence)
    assert announced_items(evidence, index) == items


def test_the_items_that_fit_the_room_continue_the_quote_in_order():
    index, evidence = evidence_in(CHALLENGES, [(0, len(CHALLENGES))], ANNOUNCER)
    assert list_text(THREE[:2]) == "시끄럽고 구조화되지 않은 입력; 학계에서 공식화하지 않은 과제."
    room = len(ANNOUNCER) + 1 + len(list_text(THREE))
    assert quoted_continuation(evidence, room, index) == list_text(THREE)
    assert quoted_continuation(evidence, room - 1, index) == list_text(THREE[:2])
    assert quoted_continuation(evidence, len(ANNOUNCER) + 5, index) == ""  # no item fits: the sentence alone


def test_without_the_index_a_passage_ends_its_continuations():
    index = ChunkIndex(ADAPTERS, [(0, CUT), (CUT + 1, len(ADAPTERS))])
    hit = Hit(chunk=index.chunks[0], document=SimpleNamespace(title="Survey", doc_id="d"), score=0.5, dense=0.5, row=0)
    assert continuation(Evidence(1, hit, PLACED, 0.5)) == ""


def corpus_evidence(corpus_index, sentence: str, ending_its_passage: bool = False) -> Evidence:
    """``sentence`` as evidence from the first passage of the bundled corpus holding it (ending with it)."""
    row = next(r for r, c in enumerate(corpus_index.chunks)
               if (c.text.rstrip().endswith(sentence) if ending_its_passage else sentence in c.text))
    hit = Hit(chunk=corpus_index.chunks[row], document=SimpleNamespace(title="", doc_id=""), score=0.5, dense=0.5, row=row)
    return Evidence(1, hit, sentence, 0.5)


def test_the_corpus_continues_a_sentence_that_ends_its_passage_and_no_sentence_across_a_paragraph(corpus_index):
    """Real path (the bundled corpus as ingest cuts it): the overview's adapter-tuning sentence ends its
    passage, and the sentence saying which weights are trained opens the next one; the French guide's advice
    "(3) Il est recommandé …" is followed, on the next line, by a section's introduction."""
    adapters = corpus_evidence(corpus_index, "어댑터 튜닝: 모듈은 인코더-디코더 아키텍처로, 어텐션 및 피드포워드 레이어와 순차적 또는 "
                               "병렬로 배치됩니다.", ending_its_passage=True)
    assert continuation(adapters) == ""  # its passage ends with it ...
    assert continuation(adapters, corpus_index) == "이러한 레이어만 세밀 조정되며, 나머지 모델은 고정됩니다."  # ... its document does not
    advice = corpus_evidence(corpus_index, "(3) Il est recommandé de choisir un modèle dont le domaine de données utilisé "
                             "pour la pré-formation est similaire au domaine de données de la tâche en aval.",
                             ending_its_passage=True)
    assert continuation(advice, corpus_index) == ""  # "Cette section expliquera en détail …" opens the next paragraph


def test_a_sentence_pointing_at_the_document_does_not_continue_the_one_before_in_the_corpus(corpus_index):
    """Real path (the bundled corpus as ingest cuts it): in the paper review's English abstract, "This comprehensive
    guide aims …" follows the sentence on spurious biases in the same paragraph and speaks of the paper, not of it;
    "이 연구는 …" after "위치 보간: [45]는 …" goes on about the work just cited."""
    biases = corpus_evidence(corpus_index, "Furthermore, we explore the impact of spurious biases on LLMs and delve into "
                             "other essential considerations, such as efficiency, cost, and latency, to ensure a "
                             "comprehensive understanding of deploying LLMs in practice.")
    assert continuation(biases, corpus_index) == ""
    interpolation = corpus_evidence(corpus_index, "위치 보간: [45]는 외삽보다 사전 훈련된 문맥 창 내에서 위치 인코딩을 보간하는 것이 더 효과적임을 보여줍니다.")
    assert continuation(interpolation, corpus_index).startswith("이 연구는 원래 문맥 크기와 비교하여")


def test_what_here_includes_continues_the_sentence_before_in_the_corpus(corpus_index):
    """Real path (the bundled corpus as ingest cuts it): the Korean guide's safety-alignment point says research
    is needed, and the next sentence, opening "여기에는" ("this includes"), says which: quoted alone, the first
    answered "what does safety alignment need?" with nothing (this session's probe question)."""
    research = corpus_evidence(corpus_index, "AI가 제기하는 실존적 위험에 대해 논의하는 것도 중요하지만, 첨단 AI가 안전하게 개발될 수 "
                               "있도록 실질적인 연구가 필요합니다.")
    assert continuation(research, corpus_index).startswith("여기에는 해석 가능성, 확장 가능한 감독 및 거버넌스")


def test_the_examples_a_sentence_announces_continue_it_in_the_corpus(corpus_index):
    """Real path (the bundled corpus as ingest cuts it): the French guide says LLMs suit "certaines tâches
    spécifiques", and names them in the next sentence, which opens "Pour donner quelques exemples, …"."""
    suited = corpus_evidence(corpus_index, "Convient au LLM : LLM est particulièrement adapté à certaines tâches spécifiques.")
    assert continuation(suited, corpus_index) == "Pour donner quelques exemples, LLM est très efficace pour imiter les humains."


def test_the_corpus_korean_guide_lists_the_three_challenges_its_french_version_lost(corpus_index):
    """Real path (the bundled corpus as ingest cuts it): the Korean practical guide announces three challenges
    and lists them over two passages, each item followed by its explanation; the French version's sentence
    ends with a colon, and its page lost the list."""
    assert announced_items(corpus_evidence(corpus_index, ANNOUNCER), corpus_index) == THREE
    assert announced_items(corpus_evidence(corpus_index, "Les défis concrets auxquels est confronté le modèle proviennent des trois "
                                       "aspects suivants :"), corpus_index) == []


def test_the_corpus_overview_lists_the_prompting_techniques_it_announces(corpus_index):
    """Real path (the bundled corpus as ingest cuts it): the overview announces its reasoning prompts "below", and
    its next lines are entries, "Chain-of-Thought (CoT): …" and the rest."""
    announcer = corpus_evidence(corpus_index, "아래에서는 추론을 위한 다양한 프롬프 기술에 대해 논의합니다.")
    headings = [item.split(":")[0] for item in announced_items(announcer, corpus_index)]
    assert headings[:3] == ["Chain-of-Thought (CoT)", "Self-Consistency", "Tree-of-Thought (ToT)"]


def test_an_answer_quoting_an_announcement_quotes_its_list(corpus_settings, embedder):
    """Real path but the model: with no usable reply, the evidence sentences answer, and the sentence announcing
    the three challenges comes with them."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator("NO_ANSWER", "NO_ANSWER"))
    answer = pipeline.answer("실제 환경에서 모델이 직면하는 세 가지 과제는 무엇인가요?")
    assert not answer.refused, answer.text
    assert f"{ANNOUNCER} {list_text(THREE)}" in answer.text, answer.text


def test_an_answer_of_evidence_sentences_reaches_the_fifth_that_holds_the_finding(corpus_settings, embedder):
    """Real path but the model: asked whether instruction data written by an LLM will do, with no usable reply the
    evidence sentences answer; the one saying self-instruct beat the hand-written dataset by 33% is the fifth to
    be quoted (the four before it say what self-instruct is and why datasets cost much)."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator("NO_ANSWER", "NO_ANSWER"))
    answer = pipeline.answer("그럼 지시어 튜닝 데이터를 사람이 일일이 쓰기엔 너무 비싸면, LLM으로 생성해서 써도 괜찮아요? "
                             "self-instruct 같은 거요")
    assert not answer.refused, answer.text
    assert "33% 더 우수한 성능" in answer.text, answer.text


def test_an_answer_quotes_the_next_passage_s_sentence_that_finishes_its_quote(corpus_settings, embedder):
    """Real path but the model (bundled corpus, default embedder, the pipeline as it answers): with no usable
    reply, the evidence sentences answer, and the adapter-tuning sentence comes with the sentence that opens
    the next passage and says which weights are trained."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator("NO_ANSWER", "NO_ANSWER"))
    answer = pipeline.answer("어댑터 튜닝에서 어댑터 모듈은 어디에 배치되고 무엇이 학습되나요?")
    assert not answer.refused, answer.text
    assert "순차적 또는 병렬로 배치됩니다. 이러한 레이어만 세밀 조정되며, 나머지 모델은 고정됩니다." in answer.text, answer.text


def test_an_answer_quotes_a_numbered_finding_without_its_number(corpus_settings, embedder):
    """Real path but the model (bundled corpus, default embedder, the pipeline as it answers): the French guide's
    "(2) LLM est doué pour imiter les humains, …" is quoted as a sentence of the answer, not as item (2) of a
    list the answer does not show."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator("NO_ANSWER", "NO_ANSWER"))
    answer = pipeline.answer("Les LLM sont-ils doués pour imiter les humains et pour l'annotation de données ?")
    assert not answer.refused, answer.text
    assert "LLM est doué pour imiter les humains, l'annotation et la génération de données." in answer.text, answer.text
    assert "(2) LLM est doué" not in answer.text, answer.text


def test_a_reply_copying_a_finding_s_number_leads_without_it(corpus_settings, embedder):
    """Real path but the model's reply: the model copies "(2)" from the passage it was shown; the answer does
    not open with it."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    reply = "(2) LLM est doué pour imiter les humains, l'annotation et la génération de données."
    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator(reply))
    answer = pipeline.answer("Les LLM sont-ils doués pour imiter les humains et pour l'annotation de données ?")
    assert answer.text.startswith("LLM est doué pour imiter les humains"), answer.text


def test_a_question_the_document_asks_is_no_quote(corpus_settings, embedder):
    """Real path but the model: the French guide's heading "Si j'utilise LLM, lequel dois-je choisir ?" is among
    the best evidence sentences for a choice question; asked back, it answers nothing, and a statement takes its
    place."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator("NO_ANSWER", "NO_ANSWER"))
    question = "Pour un chatbot face à de vraies requêtes utilisateurs, mal formulées, LLM ou modèle affiné ?"
    _, evidence = pipeline.evidence(question)
    assert any(e.sentence.endswith("?") for e in evidence)
    answer = pipeline.answer(question)
    assert not answer.refused and "?" not in answer.text, answer.text


def test_a_statement_leading_into_the_question_it_is_about_is_quoted(corpus_settings, embedder):
    """Real path but the model: the French guide opens with the practitioners' dilemma, a statement leading into the
    question it is about ("… adapté à leur application : doivent-ils choisir un LLM ou affiner un modèle ?"). Left out
    as a question, it took with it the answer to "what question do practitioners keep running into?" (probe set
    17)."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator("NO_ANSWER", "NO_ANSWER"))
    answer = pipeline.answer("Quelle difficulté les praticiens rencontrent-ils quand ils cherchent un modèle d'IA "
                             "pour leur application ?")
    assert not answer.refused and "doivent-ils choisir un LLM ou affiner un modèle ?" in answer.text, answer.text


def test_a_translation_saying_the_lead_again_stays_when_it_states_the_figure_the_lead_left_out(corpus_settings, embedder):
    """Real path but the model's replies (bundled corpus, default embedder, the pipeline as it answers): the lead
    says Codex samples 100 programs and leaves out the overview's 77.5%; the translation of that sentence says
    the lead again, and stays for its figure."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator, is_translation_request

    translation = ("Codex generates 100 versions of a program for a given description through repeated sampling, "
                   "producing working solutions for 77.5% of the problems.")

    class Translator(ScriptedGenerator):
        def stream_chat(self, messages, max_tokens, temperature=0.0, stop=(), banned=()):
            if is_translation_request(messages):
                self.replies.insert(0, translation if "77.5%" in messages[-1]["content"] else "")
            yield from super().stream_chat(messages, max_tokens, temperature, stop, banned)

    lead = "Codex generates 100 versions of a program for a given description through repeated sampling."
    answer = RagPipeline(corpus_settings, embedder, Translator(lead)).answer(
        "How did Codex get working solutions — what sampling trick?")
    assert answer.text.startswith("Codex generates 100 versions"), answer.text
    assert "77.5% of the problems" in answer.text, answer.text
