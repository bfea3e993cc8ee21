from rag.keywords import fold, tokenize


def test_korean_goes_through_kiwi_and_keeps_content_morphemes():
    tokens = tokenize("파인튜닝하면 LLM 파라미터 수가 줄어드나요?")
    assert "파인튜닝" in tokens
    assert "파라미터" in tokens
    assert "llm" in tokens  # Latin words inside Korean text are folded too
    assert "하" not in tokens and "나요" not in tokens  # endings and particles are dropped


def test_korean_particles_do_not_split_a_term_from_itself():
    assert set(tokenize("HyperCLOVA는")) == set(tokenize("HyperCLOVA를")) == {"hyperclova"}


def test_french_is_accent_and_case_folded_without_function_words():
    tokens = tokenize("Évaluer la qualité des résumés")
    assert tokens == ["evaluer", "qualite", "resume"]
    assert tokenize("QUALITÉ") == tokenize("qualite")


def test_english_plurals_meet_singulars_and_stopwords_go():
    assert tokenize("the models") == tokenize("model")
    assert tokenize("What is it?") == []


def test_fold_strips_accents():
    assert fold("Éèçô") == "eeco"


def test_fold_keeps_hangul_syllables_whole():
    assert fold("파인튜닝") == "파인튜닝"
