"""What a "how many" question counts, and whether the answer's figure counts that (rag.measures)."""

import pytest

from core.text import strip_citation_markers
from rag.checks import asks_ratio_money_or_year, states_asked_quantity
from rag.measures import counted_measures, counted_words, states_asked_measure

JURASSIC = "1.7 Jurassic-1 [110]: 7B 매개변수 J1-Large 모델과 178B 매개변수 J1-Jumbo 모델을 포함하는 자기 회귀 언어 모델의 한 쌍입니다."
NEOX = ["GPT-3에서는 밀집 및 희소 레이어를 사용하는 반면, GPT-NeoX-20B는 밀집 레이어만 사용합니다.",
        "모델 훈련은 텐서 및 파이프라인 병렬 처리를 사용하여 GPU 간에 분산됩니다."]


@pytest.mark.parametrize("question, measures", [
    ("GPT-NeoX-20B 학습할 때 GPU 몇 장 썼어요?", ("accelerators",)),
    ("Yuan 1.0은 파라미터가 몇 개짜리 모델이에요?", ("parameters",)),
    ("mT5는 몇 개 언어로 학습했고 vocab 크기는 얼마야?", ("languages",)),
    # A training setting named is what is asked, not the unit it is counted in.
    ("Gemini 1.5 Pro는 컨텍스트 윈도우가 몇 토큰이에요?", ("context length",)),
    ("How long is LLaMA-2's context window, in tokens?", ("context length",)),
    ("GPT-3는 학습률(learning rate)을 정확히 얼마로 잡고 학습했어요?", ("learning rate",)),
    ("OPT, ils l'ont entraîné avec quelle taille de batch ?", ("batch size",)),
    # The unit a question asks in says what it counts.
    ("Le corpus ROOTS, il fait quelle taille (en To ou en tokens) ?", ("tokens", "data size")),
    ("BloombergGPT, c'est un modèle de quelle taille, en nombre de paramètres ?", ("parameters",)),
    ("Codex 학습에 쓴 깃허브 파이썬 코드 데이터는 총 몇 GB였어요?", ("data size",)),
    ("Pour MT-NLG, le corpus d'entraînement représentait quel volume en tokens, à peu près ?", ("tokens",)),
    ("Gopher was trained on what volume in tokens?", ("tokens",)),
    ("HyperCLOVA는 파라미터가 몇 개짜리 모델이에요? 학습 토큰 수도 궁금해요", ("parameters", "tokens")),
    ("Vicuna ca fait combien de parametres ?", ("parameters",)),
    ("L'entraînement de PaLM 540B a duré combien de jours, et sur combien de puces TPU ?", ("accelerators",)),
    ("Alpaca et Vicuna : combien d'exemples d'entraînement chacun ?", ("examples",)),
    ("What's the vocabulary size of Jurassic-1's tokenizer?", ("vocabulary",)),
    ("Code Llama appears on the timeline. Which parameter sizes was it released in?", ("parameters",)),
    ("roughly how many language models did they train?", ("models",)),
    # A scale after "몇" is no counter: "몇 조 토큰" counts tokens (probe set 18).
    ("학습 토큰이 정확히 몇 개였어요? 몇 조 토큰인지 숫자로 알고 싶어요.", ("tokens",)),
    ("파라미터가 몇 억 개예요?", ("parameters",)),
    ("How many languages is BLOOM trained on?", ("languages",)),
    # Counting what the module does not know, or nothing: no constraint.
    ("How many human labelers did OpenAI hire?", ()),
    ("LoRA로 파인튜닝할 때 rank(r)는 보통 몇으로 잡는 게 좋아요?", ()),
    ("how big is MT-NLG?", ()),
    ("what does it cost to go to production?", ()),
    # A score named is what is asked.
    ("What MMLU score did Galactica get?", ("score",)),
    ("D'après la synthèse, Yuan 1.0 s'en sort bien sur le schéma de Winograd. Il obtient quel score exactement ?",
     ("score",)),
])
def test_what_a_question_counts(question, measures):
    assert counted_measures(question) == measures


def test_a_figure_from_a_passage_naming_no_such_count_does_not_answer():
    question = "GPT-NeoX-20B 학습할 때 GPU 몇 장 썼어요?"
    assert not states_asked_measure(question, "GPT-NeoX-20B 학습할 때 GPU 1장 썼어요. [1] [2]", {1: NEOX[:1], 2: NEOX[1:]})
    # The same claim, from a passage that counts GPUs, does.
    assert states_asked_measure(question, "GPT-NeoX-20B는 GPU 96장을 썼습니다. [1]",
                                {1: ["GPT-NeoX-20B는 A100 GPU 96개에서 훈련되었습니다."]})


def test_another_count_of_the_same_model_does_not_answer():
    question = "What's the vocabulary size of Jurassic-1's tokenizer?"
    assert not states_asked_measure(question, "The vocabulary size of Jurassic-1's tokenizer is 7B. [2]", {2: [JURASSIC]})
    assert states_asked_measure("How many parameters does J1-Jumbo have?", "J1-Jumbo has 178B parameters. [2]",
                                {2: [JURASSIC]})


def test_a_figure_belongs_to_the_measure_of_its_clause():
    """BloombergGPT's sentence names its sequence length and, in the next clause, its batch sizes: 2048 is a batch size
    (probe3-028 was answered "… a maximum sequence length of 2048 tokens. [1]")."""
    source = {1: ["효과적인 훈련을 위해, BloombergGPT는 문서를 < |endoftext| >와 함께 묶어 최대 시퀀스 길이를 사용하고, "
                  "1024에서 2048까지 워마업 배치 크기를 사용하며, 훈련 중에 학습률을 여러 번 수동으로 감소시킵니다."]}
    assert not states_asked_measure("What max sequence length was BloombergGPT trained with?",
                                    "BloombergGPT was trained with a maximum sequence length of 2048 tokens. [1]", source)
    assert states_asked_measure("What batch size did BloombergGPT use?",
                                "BloombergGPT warmed its batch size up from 1024 to 2048. [1]", source)
    # Each clause stating its own figure keeps it.
    assert states_asked_measure("How many parameters does J1-Jumbo have?", "J1-Jumbo has 178B parameters. [2]",
                                {2: ["Jurassic-1은 두 모델로, 7B인 J1-Large와, 178B인 J1-Jumbo입니다."]})


def test_a_figure_matches_its_source_at_any_scale_and_in_any_language():
    source = {1: ["Gopher 모델은 44M에서 2800억 개의 매개변수 크기 범위를 가지고 있습니다."]}
    assert states_asked_measure("Gopher a combien de paramètres ?", "Gopher va jusqu'à 280 milliards de paramètres. [1]",
                                source)
    assert states_asked_measure("How many parameters does Gopher have?", "Gopher has up to 280B parameters. [1]", source)
    assert not states_asked_measure("How many parameters does Gopher have?", "Gopher has 300B parameters. [1]", source)


def test_only_the_passages_a_claim_cites_back_it():
    question = "How many languages is mT5 trained on?"
    passages = {1: ["mT5: 101개 언어로 구성된 mC4 데이터셋을 사용하여 훈련된 다국어 T5 모델."], 2: ["mT5는 인코더-디코더입니다."]}
    assert states_asked_measure(question, "mT5 covers 101 languages. [1]", passages)
    assert not states_asked_measure(question, "mT5 covers 101 languages. [2]", passages)
    assert states_asked_measure(question, "mT5 covers 101 languages.", passages)  # no citation: any passage


def test_a_score_is_a_benchmark_result_not_another_figure_of_the_model():
    """To Yuan 1.0's Winograd score, of passages giving none, the figure rescue quoted its "5TB" corpus (probe8-020)."""
    question = "D'après la synthèse, Yuan 1.0 s'en sort bien sur le schéma de Winograd. Il obtient quel score exactement ?"
    entry = {4: ["Yuan 1.0: 인터넷에서 수집한 5TB의 고품질 중국어 텍스트로 구성된 말뭉치로 학습합니다."]}
    assert not states_asked_measure(question, "Yuan 1.0 : un corpus de 5TB de textes chinois. [4]", entry)
    galactica = {1: ["PubMedQA (77.6%) 및 MedMCQA dev (52.9%)와 같은 여러 하위 작업에서 새로운 최고 성능을 세우고 있습니다."]}
    assert states_asked_measure("what scores did galactica get on PubMedQA and MedMCQA?",
                                "Galactica scored 77.6% on PubMedQA and 52.9% on MedMCQA dev. [1]", galactica)


def test_a_figure_of_another_setting_does_not_answer_for_a_learning_rate():
    """To a learning-rate question the pipeline quoted GPT-3's "175B" as the figure asked (probe3-010)."""
    question = "GPT-3는 학습률(learning rate)을 정확히 얼마로 잡고 학습했어요?"
    overview = {1: ["GPT-3는 대규모 모델이 더 큰 배치 크기와 낮은 학습률로 훈련될 수 있다는 것을 보여줍니다.",
                    "전반적으로, GPT-3은 모델 파라미터를 175B로 증가시켜 보여줍니다."]}
    assert not states_asked_measure(question, "전반적으로, GPT-3은 모델 파라미터를 175B로 증가시켜 보여줍니다. [1]", overview)
    stated = {1: ["GPT-3는 학습률 0.6 × 10^-4로 훈련되었습니다."]}
    assert states_asked_measure(question, "GPT-3의 학습률은 0.6 × 10^-4입니다. [1]", stated)


def test_a_figure_is_held_to_the_name_opening_the_question():
    """A capital opening a sentence proves nothing alone: the passages tell "Sparrow" is a name (probe set 7)."""
    question = "Sparrow is built on top of which base model, and how many parameters does it have?"
    overview = {1: ["Sparrow [159]의 순위 모델은 선호 보상과 규칙 보상으로 나뉩니다."],
                2: ["전반적으로, GPT-3은 모델 파라미터를 175B로 증가시켜 보여줍니다."]}
    claim = "Sparrow is built on top of GPT-3, which has 175B parameters. [1] [2]"
    assert states_asked_measure(question, claim, overview)
    assert not states_asked_measure(question, claim, overview, names={"Sparrow"})
    assert states_asked_measure(question, "Sparrow has 70B parameters. [1]",
                                {1: ["Sparrow [159]는 70B 매개변수를 가집니다."]}, names={"Sparrow"})


def test_a_token_count_is_no_context_window():
    question = "How long is LLaMA-2's context window, in tokens?"
    assert not states_asked_measure(question, "LLaMA-2 was trained on 2T tokens. [1]",
                                    {1: ["LLaMA-2는 2T 토큰으로 사전 훈련되었습니다."]})
    assert states_asked_measure(question, "LLaMA-2's context window is 4096 tokens. [1]",
                                {1: ["LLaMA-2는 컨텍스트 길이를 4096 토큰으로 늘렸습니다."]})


def test_a_question_counting_nothing_known_is_not_held_to_a_measure():
    assert counted_words("How many human labelers did OpenAI hire?") == ("human", "labelers")
    assert states_asked_measure("How many human labelers did OpenAI hire?", "OpenAI hired 40 labelers. [1]",
                                {1: ["OpenAI는 40명을 고용했습니다."]})


@pytest.mark.parametrize("answer, passage, states", [
    # One digit escapes the invented-number check: the figure must be the cited passage's (probe set 19).
    ("Evol-Instruct는 진화를 5 라운드까지 돌렸고, 시드 지시문은 1개였어요. [1]",
     "Evol-Instruct는 LLM에게 지시사항을 더 복잡한 형태로 변환하도록 유도합니다.", False),
    ("Evol-Instruct는 진화를 4 라운드까지 돌립니다. [1]", "Evol-Instruct는 진화를 네 라운드 반복합니다.", True),
])
def test_a_counted_figure_must_be_one_the_cited_passage_states(answer, passage, states):
    question = "Evol-Instruct는 진화를 몇 라운드까지 돌렸어요?"
    assert counted_words(question)
    assert states_asked_measure(question, answer, {1: [passage]}) is states


@pytest.mark.parametrize("question, answer, states", [
    # Another quantity of the model named is no answer to a count of what no measure knows (probe set 7).
    ("Yuan 1.0 … ça représente combien de tonnes de CO2 économisées ?",
     "Yuan 1.0 : le corpus est composé de 5TB de textes chinois. [1]", False),
    ("Yuan 1.0 … ça représente combien de tonnes de CO2 économisées ?", "Yuan 1.0 économise 85 tonnes de CO2. [1]", True),
    ("AlphaCode는 Codeforces 레이팅이 정확히 몇 점이었어요?", "AlphaCode는 5000명 이상의 참가자 중 상위 54.3%입니다. [1]", False),
    ("AlphaCode는 Codeforces 레이팅이 정확히 몇 점이었어요?", "AlphaCode의 레이팅은 1238점입니다. [1]", True),
    # The plain counter counts what the question counts too.
    ("Galactica 학습 데이터셋에는 논문이 몇 편이나 들어갔어요?", "Galactica에는 4800만 개의 논문이 들어갔어요. [1]", True),
    # A count in words naming what is counted answers; another count beside it does not.
    ("How many stars does the purple llama mascot have?", "The mascot counts seventeen stars. [1]", True),
    ("How many stars does the purple llama mascot have?", "The kiwi benchmark holds 512 questions. [1]", False),
    # The word after the plain counter is what is counted (probe set 12).
    ("LLaMA-2는 키/값 헤드를 몇 개 그룹으로 묶었어요?", "LLaMA 2-Chat의 초기 4개 버전은 PPO로 조정됩니다. [1]", False),
    ("LLaMA-2는 키/값 헤드를 몇 개 그룹으로 묶었어요?", "LLaMA-2는 키/값 헤드를 8개 그룹으로 묶습니다. [1]", True),
    # A ratio, a sum of money or a year is told by its form, whatever the question counts beside it.
    ("U-PaLM, ça demande combien de calcul en plus par rapport à PaLM ?", "U-PaLM coûte 0,1% de plus. [1]", True),
    # But a rate the question names is this rate's percentage, not another one of the model (probe set 16).
    ("LLaMA-2-Chat은 안전성 평가 위반율(violation rate)이 몇 %까지 내려갔다고 해요?",
     "LLaMA-2: 사전 훈련된 모델은 40% 더 많은 훈련 데이터를 가지고 있습니다. [1]", False),
    ("LLaMA-2-Chat은 안전성 평가 위반율(violation rate)이 몇 %까지 내려갔다고 해요?",
     "LLaMA-2-Chat의 위반율은 4%입니다. [1]", True),
    ("Quel est le taux de réussite de CodeGen sur MTPB, en pourcentage ?",
     "Le taux de réussite de CodeGen sur MTPB est de 40 %. [1]", True),
    ("Quel est le taux de réussite de CodeGen sur MTPB, en pourcentage ?",
     "CodeGen est entraîné sur 40 % de code en plus. [1]", False),
])
def test_a_figure_counts_what_the_question_counts_when_no_measure_knows_it(question, answer, states):
    # The passage states the figure (``test_a_counted_figure_must_be_one_the_cited_passage_states``): what is judged
    # here is whether the answer's sentence names what the question counts.
    assert states_asked_measure(question, answer, {1: [strip_citation_markers(answer)]}) is states


def test_a_latin_word_before_a_korean_particle_names_the_measure():
    """"API를": a word boundary sees none between "API" and "를" (dev-057 was refused so)."""
    assert states_asked_measure("ToolLLM은 API 몇 개를 모았어?", "ToolLLM은 RapidAPI에서 16,000개의 API를 모았습니다. [1]",
                                {1: ["ToolLLM [269]은 Rapi-dAPI에서 16k개의 API를 수집합니다."]})


def test_a_figure_another_model_is_said_to_have_does_not_answer():
    tools = {1: ["Gorilla [267]는 API 문서에서의 정보 검색을 통해 LLaMA를 지시 튜닝합니다.",
                 "ToolLLM [269]은 Rapi-dAPI에서 16k개의 API를 수집합니다."]}
    claim = "Gorilla was trained on 16k API calls from Rapi-dAPI. [1]"
    assert not states_asked_measure("how many APIs was Gorilla trained on?", claim, tools)
    assert states_asked_measure("how many APIs did ToolLLM collect?", "ToolLLM collected 16k APIs. [1]", tools)
    # A sentence naming nothing goes on about its entry: BloombergGPT's parameters, in its own entry.
    entry = {1: ["BloombergGPT [141]: 금융 분야 데이터와 범용 데이터를 섞어 훈련한 모델입니다.",
                 "접근 방식 [143]을 사용하여 모델의 다양한 블록에 500억 개의 매개변수를 할당합니다."]}
    assert states_asked_measure("BloombergGPT a combien de paramètres ?", "BloombergGPT a 50 milliards de paramètres. [1]",
                                entry)


@pytest.mark.parametrize("answer, states", [
    ("GLaM은 토큰마다 최상의 두 전문가만 사용하여 활성화합니다. [1]", True),
    ("GLaM activates the top two experts for each token. [1]", True),
    ("GLaM active deux experts par jeton. [1]", True),
    ("GLaM active trois experts par jeton. [1]", False),  # a count the passage does not state
    ("GLaM은 희소하게 활성화된 전문가 혼합 구조를 사용합니다. [1]", False),  # no count at all
])
def test_a_count_spelled_out_in_words_is_a_figure(answer, states):
    """"토큰마다 최상의 두 전문가만" is GLaM's count of experts per token: read as no figure, the answer quoting it was
    refused (probe set 5)."""
    question = "GLaM은 토큰 하나당 전문가를 몇 개나 켜서 써요?"
    passage = {1: ["GLaM: 계산량을 줄이기 위해 전문가들은 토큰마다 최상의 두 전문가만 사용하여 활성화됩니다."]}
    assert (states_asked_quantity(question, answer, spelled=True) and states_asked_measure(question, answer, passage)) is states


def test_a_count_in_words_answers_only_a_question_counting_a_known_measure():
    """"The initial four versions of LLaMA 2-Chat …" is no context length (dev-093); "deux fois plus grand" is a ratio,
    no count of tokens (probe4-020)."""
    assert not states_asked_quantity("How long is LLaMA-2's context window, in tokens?",
                                     "The initial four versions of LLaMA 2-Chat used rejection sampling. [3]")
    assert not states_asked_quantity("Chinchilla a été entraîné sur combien de tokens au total ?",
                                     "Chinchilla doit être deux fois plus grand que le nombre de tokens. [1]", spelled=True)


def test_a_percentage_the_question_gives_asks_for_no_ratio():
    """"1%만 섞었을 때 … 몇 점이나 올랐어요?" counts points; read as asking a ratio, it counted nothing, and "… 2k 및 1.8k
    작업 데이터셋 …" answered it (probe23-019)."""
    question = "OPT-IML에서 추론 데이터를 1%만 섞었을 때 성능이 몇 점이나 올랐어요?"
    assert not asks_ratio_money_or_year(question) and counted_words(question) == ("점",)
    datasets = "OPT-IML 및 Flan은 각각 더 큰 2k 및 1.8k 작업 데이터셋을 선별했습니다."
    assert not states_asked_measure(question, f"{datasets} [3]", {3: [datasets]})
    points = "OPT-IML은 추론 데이터 1%로 MMLU에서 3점 향상되었습니다."
    assert states_asked_measure(question, f"{points} [1]", {1: [points]})
    assert asks_ratio_money_or_year("추론 데이터는 몇 %를 섞어야 해요?")  # a percentage asked for still is one
