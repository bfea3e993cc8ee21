"""Licence questions: asked for by the word, answered only by a licence's name."""

import pytest

from rag.licence import asks_licence, names_a_licence


@pytest.mark.parametrize("question, asks", [
    ("BLOOM, je peux l'utiliser dans un produit commercial ? c'est quelle licence exactement ?", True),
    ("Under what license was Falcon released?", True),
    ("LLaMA-2는 어떤 라이선스로 공개됐어요?", True),
    ("LLaMA-2 a combien de paramètres ?", False),
    ("Quand faut-il distiller un modèle ?", False),
])
def test_questions_asking_for_a_licence(question, asks):
    assert asks_licence(question) is asks


@pytest.mark.parametrize("answer, names", [
    # What the passages say about the model, and the sentence announcing the tables that list licences: no licence.
    ("LLaMA-2: Cette tâche est centrée sur le développement de modèles LLaMA-2-Chat plus sécurisés. [1]", False),
    ("Il contient les informations suivantes : le type de licence, le constructeur du modèle. [4]", False),
    ("표에는 라이선스 유형과 모델 제작자가 나옵니다. [2]", False),
    # A licence's name, in any of the three languages, or its terms.
    ("Falcon est publié sous licence Apache 2.0. [1]", True),
    ("BLOOM is released under the BigScience RAIL License. [1]", True),
    ("LLaMA-2는 Llama 2 Community 라이선스로 공개되었습니다. [1]", True),
    ("OPT-175B is available for non-commercial research use. [1]", True),
])
def test_an_answer_names_a_licence_by_its_name(answer, names):
    assert names_a_licence(answer) is names
