"""Answerability signals: the question's specific terms, whether the passages hold them, and the
two-threshold refusal rule with its cross-validated fit."""

from __future__ import annotations

import pytest

from rag.answerability import (Signals, missing_terms, refuses, signals, specific_terms, spelled_out,
                              written_as_names)
from rag.calibrate import BEST_EVIDENCE, MISSING_TERM, Record, balanced_right, gated_refusal_fit
from rag.types import Evidence
from rag_fakes import make_hit


def test_specific_terms_are_names_versions_and_acronyms_not_common_words():
    assert specific_terms("What's the max context window of Llama 3 70B?") == ("Llama 3 70B",)
    assert specific_terms("한국어 RAG 챗봇에는 GPT-4o랑 Claude 3.5 Sonnet 중 뭐가 더 나아요?") == (
        "RAG", "GPT-4o", "Claude 3.5", "Sonnet")
    assert specific_terms("Should we pick an English-centric model? Lesquels sont les plus rapides ?") == ()
    assert specific_terms("Quand faut-il distiller un modèle ?") == ()
    # A language model ("LM") is no more a name than a large one; the causal LM named "CLM" is.
    assert specific_terms("can we drop the left-to-right LM objective, or the LLM's CLM task?") == ("CLM",)
    # Nor are their plurals (probe set 31).
    assert specific_terms("RestGPT hooks LLMs up to RESTful APIs. How many GPUs?") == ("RestGPT", "RESTful")
    # A metric at a cut-off is one name, not "pass" and "1".
    assert specific_terms("whats StarCoder's pass@1 on HumanEval?") == ("StarCoder", "pass@1", "HumanEval")
    # A capitalised word opening the question names something when a version follows it; alone it may not.
    assert specific_terms("Yuan 1.0은 파라미터가 몇 개짜리 모델이에요?") == ("Yuan 1.0",)
    assert specific_terms("Mistral 7B ou Mixtral 8x7B ?") == ("Mistral 7B", "Mixtral", "8x7B")
    assert specific_terms("Mistral ou Mixtral ?") == ("Mixtral",)
    assert specific_terms("Figure 2 shows what?") == ()
    # A name made a modifier names the model alone.
    assert specific_terms("are GPT-3-style models meta-learners? BERT-like or LLaMA-based?") == ("GPT-3", "BERT", "LLaMA")


def test_the_number_of_a_table_figure_or_section_is_no_name():
    """"le tableau II de la synthèse" points at a place in the document: the overview heads its tables "표 II", its
    findings rows carry no numeral, and the question was refused for "II" (probe set 17)."""
    assert specific_terms("Pour Flan, qu'est-ce que le tableau II de la synthèse dit ?") == ("Flan",)
    assert specific_terms("What does Table IV of the overview say about OPT?") == ("OPT",)
    assert specific_terms("as shown in Figure 3b, why does GPT-4 win?") == ("GPT-4",)
    assert specific_terms("개요 논문 표 II에서 BLOOM은?") == ("BLOOM",)
    # A numeral standing on its own is still a name the passages must hold.
    assert specific_terms("What did the guide say about II?") == ("II",)


def test_a_word_opening_the_question_is_a_name_when_the_passages_write_it_as_one():
    """"Sparrow is built on top of which base model, and how many parameters does it have?" named nothing, so any
    model's parameter count answered it (probe set 7)."""
    question = "Sparrow is built on top of which base model, and how many parameters does it have?"
    passages = ["이와 같은 방식은 GopherCite [157], WebGPT [158], Sparrow [159]에서 사용됩니다.",
                "Sparrow [159]의 순위 모델은 선호 보상과 규칙 보상으로 나뉩니다."]
    assert written_as_names(question, passages) == {"Sparrow"}
    assert specific_terms(question, written_as_names(question, passages)) == ("Sparrow",)
    assert specific_terms(question) == ()
    # Written only where a sentence opens, or in lower case too, a capitalised word is a plain one.
    assert written_as_names(question, ["Sparrow [159]의 순위 모델은 선호 보상으로 나뉩니다."]) == frozenset()
    assert written_as_names("Explain why Sparrow uses rules?", ["We explain. Then Sparrow is used."]) == frozenset()
    assert written_as_names("Combien de paramètres ?", ["Le modèle a Combien de paramètres, combien."]) == frozenset()


def test_terms_match_across_case_hyphens_and_spaces_but_only_as_whole_words():
    passages = ["LLaMA-2 70B was trained on 2T tokens; its output is long.", "BLOOM은 다국어 모델입니다."]
    assert missing_terms(("Llama 2", "llama-2 70b", "BLOOM"), passages) == ()
    assert missing_terms(("TPU", "Llama 3 70B"), passages) == ("TPU", "Llama 3 70B")  # "output" holds no TPU
    assert missing_terms(("pass@1", "recall@5"), ["StarCoder reaches 33.6% Pass@1.", "Recall @ 5 is 0.9."]) == ()
    assert missing_terms(("pass@1",), ["StarCoder passes 1 of the tests."]) == ("pass@1",)


def test_a_plural_finds_its_singular_and_the_other_way_round():
    """"Sharding a model across GPUs: …" was refused before the model ran: its passages write "GPU 간에" (probe set 25)."""
    passages = ["GPT-NeoX-20B: 모델 훈련은 텐서 및 파이프라인 병렬 처리를 사용하여 GPU 간에 분산됩니다.", "MLLMs are trained on TPUs."]
    assert missing_terms(("GPUs", "GPU", "MLLM", "TPU", "TPUs"), passages) == ()
    assert missing_terms(("CPUs", "NPU"), passages) == ("CPUs", "NPU")


def test_a_greek_letter_after_a_hyphen_is_part_of_the_name():
    """"PanGu-α" read as "PanGu" let PanGu-Σ's scale answer a question about PanGu-α (probe set 13)."""
    assert specific_terms("PanGu-α는 파라미터가 몇 B짜리 모델이에요?") == ("PanGu-α",)
    assert specific_terms("Et PanGu-Σ, il fait quelle taille ?") == ("PanGu-Σ",)
    passages = ["1.24 PanGu-Σ [130]: PanGu-α에서 파라미터를 복사하고 …"]
    assert missing_terms(("PanGu-α", "PanGu-Σ", "pangu-σ", "PanGu"), passages) == ()
    assert missing_terms(("PanGu-β",), passages) == ("PanGu-β",)
    assert missing_terms(("PanGu-α",), ["PanGu-Σ는 1조 규모입니다."]) == ("PanGu-α",)


def test_an_acronym_french_writes_its_own_way_is_found_as_its_translation():
    """"… un problème simple pour le TAL ?" was refused before the model ran: the French guide writes "PNL" (probe set 19)."""
    passages = ["Pour la PNL, le raisonnement est extrêmement difficile.", "LLMs for NLP tasks", "L'IA progresse."]
    assert missing_terms(("TAL", "PNL", "NLP", "IA", "AI"), passages) == ()
    assert missing_terms(("TAL",), ["Le raisonnement est difficile."]) == ("TAL",)
    assert missing_terms(("IA",), ["Pour la PNL, le raisonnement est difficile."]) == ("IA",)


def test_a_question_term_absent_from_the_passages_leads_to_a_refusal():
    hit = make_hit("LLaMA-2 comes in 7B, 13B and 70B sizes and was trained on 2T tokens.", title="LLaMA-2 notes")
    evidence = [Evidence(1, hit, hit.chunk.text, 0.48)]
    about_llama3 = signals("What's the max context window of Llama 3 70B?", [hit], evidence)
    about_llama2 = signals("Which sizes does LLaMA-2 come in?", [hit], evidence)
    assert about_llama3.missing == ("Llama 3 70B",) and about_llama3.refuse(0.40, 0.53)
    assert about_llama2.missing == () and not about_llama2.refuse(0.40, 0.53)
    # A term found only in the document's title counts as present.
    assert signals("What do the LLaMA-2 notes say?", [hit], evidence).missing == ()
    # Strong evidence answers even so: a translated document may spell the term its own way.
    assert not Signals(0.60, ("ZeRO",)).refuse(0.40, 0.53)


def test_a_document_named_as_its_description_names_it_is_no_missing_term():
    """Readers call the course page "the Google course", which its title and text never write (probe set 29)."""
    text = "프롬프트 엔지니어링은 LLM의 매개변수를 추가하거나 변경하지 않습니다."
    described = make_hit(text, title="LLM: 미세 조정 (강의 페이지)", language="ko",
                         description="Korean translation of a page of Google's Machine Learning Crash Course")
    evidence = [Evidence(1, described, text, 0.45)]
    question = "The Google course page says prompt engineering leaves the parameters alone: what does it change?"
    assert signals(question, [described], evidence).missing == ()
    undescribed = make_hit(text, title="LLM: 미세 조정 (강의 페이지)", language="ko")
    assert signals(question, [undescribed], [Evidence(1, undescribed, text, 0.45)]).missing == ("Google",)


def test_a_question_asking_several_things_is_judged_by_its_closest_part_too():
    hit = make_hit("Public NLP datasets do not reflect how these models are used.")
    whole = [Evidence(1, hit, hit.chunk.text, 0.34)]
    answering_a_part = [Evidence(1, hit, hit.chunk.text, 0.34, answers_part=True, part_score=0.42)]
    question = "ok so where do all these real-world troubles come from? can't we just trust public benchmarks?"
    assert signals(question, [hit], whole).refuse(0.40, 0.53)
    assert signals(question, [hit], answering_a_part).best_score == 0.42
    assert not signals(question, [hit], answering_a_part).refuse(0.40, 0.53)


def test_an_acronym_the_question_spells_out_need_not_be_in_the_passages():
    hit = make_hit("옵티마이저 병렬성 또는 제로 중복 옵티마이저는 옵티마이저 상태를 장치들 간에 분할합니다.")
    evidence = [Evidence(1, hit, hit.chunk.text, 0.45)]
    spelled = signals("what does ZeRO (zero redundancy optimizer) partition?", [hit], evidence)
    assert spelled.missing == () and not spelled.refuse(0.40, 0.53)
    assert signals("what does ZeRO partition?", [hit], evidence).missing == ("ZeRO",)
    assert spelled_out("ICL", "in-context learning(ICL)이랑 퓨샷 프롬프팅은 같은 말이에요?")
    assert spelled_out("ZeRO", "optimizer parallelism (ZeRO, zero redundancy optimizer)?")
    # Words that merely follow it, or that spell something else, do not.
    assert not spelled_out("RAG", "Is RAG really all good?")
    assert not spelled_out("MMLU", "MMLU (a benchmark) scores?")


def test_gated_refusal_fit_finds_both_thresholds():
    def record(i: int, answerable: bool, best: float, missing: bool) -> Record:
        return Record(f"q{i}", answerable, {BEST_EVIDENCE: best, MISSING_TERM: float(missing)})

    records = [record(0, True, 0.70, False), record(1, True, 0.55, True), record(2, True, 0.45, False),
               record(3, False, 0.35, False), record(4, False, 0.50, True), record(5, False, 0.52, True)]
    fitted = gated_refusal_fit(records)
    assert fitted.params == {"threshold": 0.40, "missing_term_threshold": 0.535}
    refused = [fitted.predict(r) for r in records]
    assert refused == [False, False, False, True, True, True] and balanced_right(records, refused) == 1.0
    assert refuses(0.39, False, 0.40, 0.535) and not refuses(0.60, True, 0.40, 0.535)


def test_a_metric_the_corpus_never_names_refuses_before_the_model_runs(corpus_settings, embedder):
    """Real path but the model (bundled corpus, default embedder, the pipeline as it answers): the documents
    discuss StarCoder and HumanEval but give no pass@1; the question is refused without a model call, where it
    was answered with StarCoder's context length while "pass@1" read as "pass" and "1"."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    generator = ScriptedGenerator("StarCoder extends its context length up to 8k. [1]")
    answer = RagPipeline(corpus_settings, embedder, generator).answer("whats StarCoder's pass@1 on HumanEval?")
    assert answer.refused and not generator.calls, answer.text


def test_a_plural_the_bundled_corpus_writes_in_the_singular_passes_the_gate(corpus_settings, embedder):
    """Real path but the model: the Korean overview writes "GPU 간에", and "Sharding a model across GPUs: …" was
    refused before the model ran for "GPUs" (probe set 25). "GPUs" is no name now (as "GPU" is none); a name's plural
    still finds its singular: the overview writes "MoE", never "MoEs"."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator(""))
    for question, plural in [
        ("Sharding a model across GPUs: the overview says two of its parallelism schemes are also known as "
         "'horizontal' and 'vertical'. Which scheme gets which nickname?", None),
        ("In the overview, how do MoEs route each token to its experts?", "MoEs"),
    ]:
        hits, evidence = pipeline.evidence(question)
        checked = signals(question, hits, evidence)
        assert (plural is None or plural in specific_terms(question)) and checked.missing == (), question
        assert not checked.refuse(corpus_settings.refusal_threshold, corpus_settings.missing_term_threshold)


def test_a_question_naming_the_bundled_course_page_by_its_publisher_passes_the_gate(corpus_settings, embedder):
    """Real path but the model (bundled corpus and manifest as ingest reads them, default embedder): "The Google
    course page" was refused before the model ran for "Google", which the course page never writes (probe set 29)."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    question = ("Is 'prompt tuning' just a fancier name for prompt engineering? The Google course page says prompt "
                "engineering leaves the model's parameters alone, so what does the comprehensive overview say prompt "
                "tuning actually trains, and what happens to the rest of the weights?")
    hits, evidence = RagPipeline(corpus_settings, embedder, ScriptedGenerator("")).evidence(question)
    assert any("Google" in h.document.description for h in hits)
    checked = signals(question, hits, evidence)
    assert "Google" in specific_terms(question) and checked.missing == ()
    assert not checked.refuse(corpus_settings.refusal_threshold, corpus_settings.missing_term_threshold)


def test_the_bundled_corpus_spells_out_an_acronym_the_question_explains(corpus_settings, embedder):
    """Real path but the model (bundled corpus as ingest cuts it, default embedder, the pipeline's retrieval and
    evidence): the Korean overview writes ZeRO as "제로 중복 옵티마이저", never as "ZeRO"; a question that spells
    the acronym out is not held to it, one that only says "ZeRO" is."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator(""))
    for question, missing in (("what does optimizer parallelism (ZeRO, zero redundancy optimizer) partition?", ()),
                              ("what does optimizer parallelism in ZeRO partition?", ("ZeRO",))):
        hits, evidence = pipeline.evidence(question)
        assert any("제로 중복 옵티마이저" in h.chunk.text for h in hits)
        assert signals(question, hits, evidence).missing == missing


@pytest.mark.parametrize("question, passages_hold", [
    # The Korean overview writes the causal LM objective as "인과적 언어 모델" and never "LM".
    ("we're pretraining an encoder-decoder model for code. can we drop the left-to-right LM objective and just do span "
     "corruption, or does that hurt? what do the overview's findings say?", "인과적 언어 모델"),
    # "le tableau II" names a place to look: the overview heads that table "표 II", its Flan row carries no numeral,
    # and the question was refused for the "II" its passages lack (probe set 17).
    ("Et du coup, pour Flan, qu'est-ce que le tableau II de la synthèse dit d'un modèle seulement pré-entraîné : on "
     "peut s'en servir tel quel ou il lui faut autre chose ?", "Flan"),
])
def test_a_question_is_judged_on_its_evidence_not_on_words_that_name_nothing(corpus_settings, embedder, question,
                                                                             passages_hold):
    """Real path but the model (bundled corpus, default embedder, the pipeline's retrieval, evidence and gate): a
    question is not refused for a word of it that names no model the passages must hold."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator(""))
    hits, evidence = pipeline.evidence(question)
    assert any(passages_hold in h.chunk.text for h in hits)
    checked = signals(question, hits, evidence)
    assert checked.missing == ()
    assert not checked.refuse(corpus_settings.refusal_threshold, corpus_settings.missing_term_threshold)


def test_a_follow_up_asking_two_things_passes_the_gate_by_the_part_its_evidence_answers(corpus_settings, embedder):
    """Real path but the model (bundled corpus, default embedder, the pipeline's retrieval, evidence and gate): the
    guide's sentences answer the parts of this casual two-part question ("Les ensembles de données PNL publics ne
    reflètent pas …" the second); the question as a whole is further from every sentence than the refusal
    threshold, its parts are not."""
    from rag.pipeline import RagPipeline
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator(""))
    question = ("Ok, et toutes ces galères avec les vraies demandes des utilisateurs (entrées bruitées, consignes "
                "floues…), le guide dit qu'elles viennent d'où au fond ? On ne peut pas juste se fier aux benchmarks "
                "publics ?")
    hits, evidence = pipeline.evidence(question)
    assert max(e.score for e in evidence) < corpus_settings.refusal_threshold
    part = [e for e in evidence if e.answers_part and e.part_score >= corpus_settings.refusal_threshold]
    assert any("PNL" in e.sentence for e in part)
    assert not signals(question, hits, evidence).refuse(corpus_settings.refusal_threshold,
                                                        corpus_settings.missing_term_threshold)
