from rag.conversation import is_follow_up, standalone_question


def test_follow_up_connectives_in_three_languages():
    assert is_follow_up("그럼 파인튜닝만 해도 파라미터 수가 줄어드나요?")
    assert is_follow_up("Et du coup, un modèle affiné a encore sa place ?")
    assert is_follow_up("What about distillation?")


def test_a_full_question_is_not_a_follow_up():
    assert not is_follow_up("Which two families of LLMs does the survey introduce first?")


def test_follow_up_is_searched_with_the_previous_question():
    history = ["파인튜닝한 LLM이 너무 무거워요. 증류하면 뭐가 좋아지나요?"]
    q = "그럼 파인튜닝만 해도 파라미터 수가 줄어드나요?"
    assert standalone_question(q, history) == f"{history[0]} {q}"


def test_without_history_the_question_stands_alone():
    q = "그럼 파인튜닝만 해도 파라미터 수가 줄어드나요?"
    assert standalone_question(q, []) == q
