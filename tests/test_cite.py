import numpy as np

from rag.cite import SourcePassage, attach_citations, strip_markers
from rag_fakes import make_hit, unit

DISTIL = unit(1, 0, 0)
SCALING = unit(0, 1, 0)
OTHER = unit(0, 0, 1)


def fake_embed(sentences):
    """Answer sentences about distillation point one way, about scaling laws another."""
    out = []
    for s in sentences:
        s = s.lower()
        out.append(DISTIL if "distil" in s else SCALING if "scal" in s else OTHER)
    return np.stack(out)


def passages():
    p1 = SourcePassage(1, make_hit("Distillation makes a smaller model.", row=0), ("Distillation makes a smaller model.",),
                       np.stack([DISTIL]))
    p2 = SourcePassage(2, make_hit("Scaling laws predict loss.", row=1), ("Scaling laws predict loss.",),
                       np.stack([SCALING]))
    return [p1, p2]


def test_unmarked_sentences_get_the_passage_that_supports_them():
    result = attach_citations("Distillation gives a smaller model. Scaling laws help predict it.", passages(), fake_embed)
    assert result.text == "Distillation gives a smaller model. [1] Scaling laws help predict it. [2]"
    assert [c.n for c in result.citations] == [1, 2]
    assert result.citations[0].sentence == "Distillation makes a smaller model."
    assert result.citations[0].support > 0.99


def test_each_supported_sentence_is_grounded_on_the_sentence_it_rests_on():
    result = attach_citations("Distillation gives a smaller model. The moon is cheese. Scaling laws help [1].",
                              passages(), fake_embed)
    assert result.grounds == (("Distillation gives a smaller model.", "Distillation makes a smaller model."),
                              ("Scaling laws help.", "Scaling laws predict loss."))


def test_a_marker_pointing_at_an_unrelated_passage_is_replaced():
    result = attach_citations("Distillation gives a smaller model [2].", passages(), fake_embed)
    assert result.text == "Distillation gives a smaller model. [1]" or result.text.endswith("[1]")
    assert "[2]" not in result.text
    assert result.markers_fixed == 1


def test_a_valid_model_marker_is_kept():
    result = attach_citations("Scaling laws predict it [2].", passages(), fake_embed)
    assert result.text.endswith("[2]")
    assert result.markers_fixed == 0


def test_unsupported_sentences_get_no_marker_and_markers_to_missing_passages_go():
    result = attach_citations("The moon is made of cheese [7].", passages(), fake_embed)
    assert "[" not in result.text
    assert result.citations == ()
    assert result.supported_sentences == 0


def test_strip_markers_returns_the_numbers():
    assert strip_markers("A fact [1] and another [12].") == ("A fact and another.", [1, 12])


def test_the_same_sentence_in_two_passages_cites_both():
    twin = SourcePassage(3, make_hit("Distillation makes a smaller model (translated).", row=2),
                         ("Distillation makes a smaller model (translated).",), np.stack([DISTIL]))
    result = attach_citations("Distillation gives a smaller model.", [*passages(), twin], fake_embed)
    assert result.text.endswith("[1] [3]")
    assert [c.n for c in result.citations] == [1, 3]


def test_a_shared_number_decides_between_passages_that_embed_alike():
    below = SourcePassage(1, make_hit("Distillation targets models below 20B parameters.", row=0),
                          ("Distillation targets models below 20B parameters.",), np.stack([DISTIL]))
    general = SourcePassage(2, make_hit("Distillation is popular.", row=1), ("Distillation is popular.",),
                            np.stack([DISTIL]))
    result = attach_citations("Distillation is for models under 20B. [2]", [general, below], fake_embed)
    assert result.text.endswith("[1]")  # the model's own marker goes: its passage states no 20B
    assert [c.n for c in result.citations] == [1] and result.markers_fixed == 1
    assert all(c.support <= 1.0 for c in result.citations)


def test_a_figure_is_cited_to_a_passage_stating_it_even_when_another_embeds_closer():
    """dev-011: the claim embeds closest to a passage about LLMs in general; the figure comes from another."""
    general = SourcePassage(1, make_hit("Distillation is popular.", row=0), ("Distillation is popular.",),
                            np.stack([DISTIL]))
    review = SourcePassage(2, make_hit("규모의 함의 (<20B 파라미터를 미세조정 수준으로 간주).", row=1),
                           ("규모의 함의 (<20B 파라미터를 미세조정 수준으로 간주).",), np.stack([unit(0.6, 0.8, 0)]))
    result = attach_citations("Distillation is for models below 20B parameters.", [general, review], fake_embed)
    assert result.text.endswith("[2]") and [c.n for c in result.citations] == [2]
    # A lone digit numbers a figure or an item: it decides nothing.
    result = attach_citations("Distillation is shown in figure 9.", [general, review], fake_embed)
    assert result.text.endswith("[1]")



def test_a_figure_is_cited_to_the_corpus_passage_stating_it(corpus_settings, embedder):
    """Real index, embedder and evidence selection (dev-011): the French guide's passage on LLMs is the
    closest to the claim; the 20B comes from the paper review's passage, the one cited."""
    from rag.pipeline import RagPipeline
    from rag.verify import source_passages
    from rag_fakes import ScriptedGenerator

    pipeline = RagPipeline(corpus_settings, embedder, ScriptedGenerator())
    question = ("In the Harnessing survey, below what parameter count is a model treated as fine-tuned-model territory "
                "rather than an LLM?")
    _, evidence = pipeline.evidence(question)
    sources = source_passages(pipeline.retriever().index, evidence)
    claim = "In the Harnessing survey, below 20B parameters are a model treated as fine-tuned-model territory rather than an LLM."
    cited = attach_citations(claim, sources, embedder.encode_documents)
    assert cited.citations and all("20B" in c.sentence for c in cited.citations), cited
    assert any("20B" not in p.hit.chunk.text for p in sources)
