"""The page's words in Korean, French and English, and the choice among them.

The language comes from the switch on the page, else the browser's Accept-Language header,
else English. Only the interface is translated: answers stay in the question's language.

Example:
    >>> pick_language("fr-FR,fr;q=0.9,en;q=0.8")
    'fr'
    >>> text("ask", "ko")
    '질문하기'
"""

from __future__ import annotations

LANGUAGES = ("ko", "fr", "en")
DEFAULT = "en"
CHOICES = [("한국어", "ko"), ("Français", "fr"), ("English", "en")]

CATALOGUE: dict[str, dict[str, str]] = {
    "header": {
        "en": "## Survey RAG\nAsk about the LLM survey documents in 한국어, Français or English; "
              "every answer cites the passages it comes from.",
        "fr": "## Survey RAG\nInterrogez les documents de synthèse sur les LLM en 한국어, en français ou en anglais ; "
              "chaque réponse cite les passages d'où elle vient.",
        "ko": "## Survey RAG\nLLM 서베이 문서에 대해 한국어, 프랑스어 또는 영어로 질문하세요. "
              "모든 답변은 근거가 된 구절을 인용합니다.",
    },
    "tab_chat": {"en": "Chat", "fr": "Discussion", "ko": "대화"},
    "tab_documents": {"en": "Documents", "fr": "Documents", "ko": "문서"},
    "language": {"en": "Language", "fr": "Langue", "ko": "언어"},
    "new": {"en": "New conversation", "fr": "Nouvelle conversation", "ko": "새 대화"},
    "conversations": {"en": "Conversations", "fr": "Conversations", "ko": "대화 목록"},
    "conv_actions": {"en": "Rename, delete, export", "fr": "Renommer, supprimer, exporter",
                     "ko": "이름 변경, 삭제, 내보내기"},
    "new_title": {"en": "New title", "fr": "Nouveau titre", "ko": "새 제목"},
    "rename": {"en": "Rename", "fr": "Renommer", "ko": "이름 변경"},
    "delete": {"en": "Delete", "fr": "Supprimer", "ko": "삭제"},
    "export": {"en": "Export", "fr": "Export", "ko": "내보내기"},
    "chat_placeholder": {
        "en": "Ask a question below, or click an example. Answers stream in; **[n]** marks the source passage.",
        "fr": "Posez une question ci-dessous ou cliquez sur un exemple. La réponse s'affiche au fil de l'eau ; "
              "**[n]** renvoie au passage source.",
        "ko": "아래에 질문을 입력하거나 예시를 누르세요. 답변이 실시간으로 표시되며 **[n]**은 출처 구절을 가리킵니다.",
    },
    "question_placeholder": {"en": "Ask in Korean, French or English… (Enter to send)",
                             "fr": "Posez votre question en coréen, français ou anglais… (Entrée pour envoyer)",
                             "ko": "한국어, 프랑스어 또는 영어로 질문하세요… (Enter로 전송)"},
    "ask": {"en": "Ask", "fr": "Demander", "ko": "질문하기"},
    "clear": {"en": "Clear conversation", "fr": "Effacer la conversation", "ko": "대화 지우기"},
    "settings": {"en": "Settings", "fr": "Réglages", "ko": "설정"},
    "top_k": {"en": "Passages to retrieve (top-k)", "fr": "Passages à rechercher (top-k)",
              "ko": "검색할 구절 수 (top-k)"},
    "max_tokens": {"en": "Answer length (max tokens)", "fr": "Longueur de la réponse (jetons max.)",
                   "ko": "답변 길이 (최대 토큰)"},
    "previous_page": {"en": "◀ Previous page", "fr": "◀ Page précédente", "ko": "◀ 이전 페이지"},
    "next_page": {"en": "Next page ▶", "fr": "Page suivante ▶", "ko": "다음 페이지 ▶"},
    "close": {"en": "Close", "fr": "Fermer", "ko": "닫기"},
    "upload": {"en": "Upload .txt, .md or .pdf", "fr": "Téléverser des .txt, .md ou .pdf",
               "ko": ".txt, .md, .pdf 파일 올리기"},
    "add": {"en": "Add to index", "fr": "Ajouter à l'index", "ko": "색인에 추가"},
    "remove_picker": {"en": "Remove a document", "fr": "Retirer un document", "ko": "문서 제거"},
    "remove": {"en": "Remove from index", "fr": "Retirer de l'index", "ko": "색인에서 제거"},
    "reingest": {"en": "Re-ingest the corpus folder", "fr": "Réindexer le dossier du corpus",
                 "ko": "코퍼스 폴더 다시 색인"},
    "scope": {"en": "Documents to ask (none chosen: all)", "fr": "Documents interrogés (aucun choisi : tous)",
              "ko": "질문할 문서 (선택하지 않으면 전체)"},
}


def pick_language(accept_language: str | None) -> str:
    """The first of ko/fr/en in an Accept-Language header (or ``navigator.language``), by preference."""
    ranked = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower().split("-")[0]))
    for _, _, code in sorted(ranked):
        if code in LANGUAGES:
            return code
    return DEFAULT


def text(key: str, language: str) -> str:
    entry = CATALOGUE[key]
    return entry.get(language) or entry[DEFAULT]
