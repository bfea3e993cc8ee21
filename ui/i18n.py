"""The page's words in Korean, French and English, and the choice among them.

The language comes from the switch on the page, else the browser's Accept-Language header,
else English. Only the interface is translated: answers (and refusals) stay in the question's language.
The server's own messages (statuses, notices, errors) are catalogue entries with ``{named}``
fields; the known error messages of the lower layers are translated by their pattern
(``error_text``), any other is shown as it is.

Example:
    >>> pick_language("fr-FR,fr;q=0.9,en;q=0.8")
    'fr'
    >>> text("ask", "ko")
    '질문하기'
"""

from __future__ import annotations

import re

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
    "comment_placeholder": {"en": "Thanks! Say what was right or wrong (optional), then Enter",
                            "fr": "Merci ! Dites ce qui allait ou non (facultatif), puis Entrée",
                            "ko": "감사합니다! 무엇이 맞고 틀렸는지 적어 주세요 (선택), 그리고 Enter"},
    "send_comment": {"en": "Send comment", "fr": "Envoyer", "ko": "의견 보내기"},
    # the sources panel
    "sources_idle": {
        "en": "Sources appear here: each cited passage with its document, language, page or section, "
              "and the supporting sentence highlighted.",
        "fr": "Les sources s'affichent ici : chaque passage cité avec son document, sa langue, sa page ou "
              "sa section, et la phrase justificative surlignée.",
        "ko": "여기에 출처가 표시됩니다. 인용된 각 구절의 문서, 언어, 페이지 또는 섹션과 근거 문장이 강조 표시됩니다.",
    },
    "searching": {"en": "Searching the documents…", "fr": "Recherche dans les documents…", "ko": "문서를 검색하는 중…"},
    "preview_nearest": {"en": "No passage answers this closely; nearest passages:",
                        "fr": "Aucun passage n'y répond de près ; passages les plus proches :",
                        "ko": "이 질문에 가깝게 답하는 구절이 없습니다. 가장 가까운 구절:"},
    "preview_found": {"en": "Found {n} passages; the model is reading the best sentences (highlighted) and "
                            "writing the answer…",
                      "fr": "{n} passages trouvés ; le modèle lit les meilleures phrases (surlignées) et "
                            "rédige la réponse…",
                      "ko": "구절 {n}개를 찾았습니다. 모델이 가장 관련 있는 문장(강조 표시)을 읽고 답변을 작성하는 중…"},
    "sources_refused": {"en": "The documents do not answer this; nearest passages:",
                        "fr": "Les documents n'y répondent pas ; passages les plus proches :",
                        "ko": "문서에 이 질문의 답이 없습니다. 가장 가까운 구절:"},
    "sources_none": {"en": "No passages found.", "fr": "Aucun passage trouvé.", "ko": "구절을 찾지 못했습니다."},
    "sources_cited": {"en": "Cited passages ({n})", "fr": "Passages cités ({n})", "ko": "인용된 구절 ({n})"},
    "sources_other": {"en": "Other retrieved passages ({n})", "fr": "Autres passages trouvés ({n})",
                      "ko": "검색된 다른 구절 ({n})"},
    "score_relevance": {"en": "relevance {score}", "fr": "pertinence {score}", "ko": "관련도 {score}"},
    "score_match": {"en": "match {score}", "fr": "correspondance {score}", "ko": "일치도 {score}"},
    "score_support": {"en": "support {score}", "fr": "appui {score}", "ko": "근거도 {score}"},
    "time_first": {"en": "first words {s} s", "fr": "premiers mots {s} s", "ko": "첫 단어 {s}초"},
    "time_total": {"en": "total {s} s", "fr": "total {s} s", "ko": "전체 {s}초"},
    # the chat
    "waiting_nearest": {"en": "Checking the nearest passages…", "fr": "Examen des passages les plus proches…",
                        "ko": "가장 가까운 구절을 확인하는 중…"},
    "waiting_found": {"en": "Found {n} passages; writing the answer…",
                      "fr": "{n} passages trouvés ; rédaction de la réponse…",
                      "ko": "구절 {n}개를 찾았습니다. 답변을 작성하는 중…"},
    "answer_failed": {"en": "Sorry, the answer failed ({reason}).", "fr": "Désolé, la réponse a échoué ({reason}).",
                      "ko": "죄송합니다. 답변에 실패했습니다 ({reason})."},
    "see_log": {"en": "{kind}; see the server log for details",
                "fr": "{kind} ; voir le journal du serveur pour les détails",
                "ko": "{kind}; 자세한 내용은 서버 로그를 확인하세요"},
    "empty_question": {"en": "Please type a question (the message was empty or had no words).",
                       "fr": "Veuillez saisir une question (le message était vide ou sans mots).",
                       "ko": "질문을 입력하세요 (메시지가 비어 있거나 단어가 없습니다)."},
    "long_question": {"en": "The question is too long ({n} characters; the limit is {limit}). Please shorten it.",
                      "fr": "La question est trop longue ({n} caractères ; la limite est {limit}). Raccourcissez-la.",
                      "ko": "질문이 너무 깁니다 ({n}자, 제한은 {limit}자). 줄여 주세요."},
    "long_prompt": {"en": "The question is too long for the model ({n} tokens; the whole prompt may use {budget}). "
                          "Please shorten it.",
                    "fr": "La question est trop longue pour le modèle ({n} jetons ; l'invite entière peut en "
                          "utiliser {budget}). Raccourcissez-la.",
                    "ko": "질문이 모델에 비해 너무 깁니다 ({n} 토큰, 전체 프롬프트는 {budget} 토큰까지). 줄여 주세요."},
    # the source viewer
    "bad_reference": {"en": "cannot open this source (bad reference)", "fr": "impossible d'ouvrir cette source "
                      "(référence invalide)", "ko": "이 출처를 열 수 없습니다 (잘못된 참조)"},
    "no_page": {"en": "{file}: no page {page} (the document has {count})",
                "fr": "{file} : pas de page {page} (le document en a {count})",
                "ko": "{file}: {page} 페이지가 없습니다 (문서는 {count}페이지)"},
    "doc_gone": {"en": "this document is no longer in the index", "fr": "ce document n'est plus dans l'index",
                 "ko": "이 문서는 더 이상 색인에 없습니다"},
    "file_gone": {"en": "{file}: the file is gone from the disk", "fr": "{file} : le fichier a disparu du disque",
                  "ko": "{file}: 파일이 디스크에서 사라졌습니다"},
    # the documents tab
    "documents_intro": {"en": "The documents answers are drawn from. Uploads are copied into the app's data folder "
                              "and indexed; only .txt, .md and .pdf files up to {mb} MB.",
                        "fr": "Les documents d'où viennent les réponses. Les fichiers téléversés sont copiés dans le "
                              "dossier de données de l'application et indexés ; uniquement des .txt, .md et .pdf "
                              "jusqu'à {mb} Mo.",
                        "ko": "답변의 근거가 되는 문서입니다. 올린 파일은 앱의 데이터 폴더에 복사되어 색인되며, "
                              "{mb}MB 이하의 .txt, .md, .pdf 파일만 가능합니다."},
    "col_title": {"en": "Title", "fr": "Titre", "ko": "제목"},
    "col_language": {"en": "Language", "fr": "Langue", "ko": "언어"},
    "col_chunks": {"en": "Chunks", "fr": "Passages", "ko": "구절"},
    "col_ingested": {"en": "Last ingested", "fr": "Dernière indexation", "ko": "마지막 색인"},
    "col_file": {"en": "File", "fr": "Fichier", "ko": "파일"},
    "no_documents": {"en": "(no documents indexed yet)", "fr": "(aucun document indexé pour l'instant)",
                     "ko": "(아직 색인된 문서가 없습니다)"},
    "index_info": {"en": "**Answer model:** `{model}`  \n**Embedding model:** `{embedder}`  \n"
                         "**Index:** {documents} documents, {chunks} passages",
                   "fr": "**Modèle de réponse :** `{model}`  \n**Modèle d'embedding :** `{embedder}`  \n"
                         "**Index :** {documents} documents, {chunks} passages",
                   "ko": "**답변 모델:** `{model}`  \n**임베딩 모델:** `{embedder}`  \n"
                         "**색인:** 문서 {documents}개, 구절 {chunks}개"},
    "locked": {"en": "Another ingest is already running (started from this page, another tab or the command line). "
                     "Nothing was changed; please try again when it has finished.",
               "fr": "Une autre indexation est déjà en cours (lancée depuis cette page, un autre onglet ou la ligne "
                     "de commande). Rien n'a été modifié ; réessayez quand elle sera terminée.",
               "ko": "다른 색인 작업이 이미 실행 중입니다 (이 페이지, 다른 탭 또는 명령줄에서 시작됨). "
                     "아무것도 변경되지 않았습니다. 끝난 뒤 다시 시도하세요."},
    "choose_files": {"en": "Choose one or more .txt, .md or .pdf files first.",
                     "fr": "Choisissez d'abord un ou plusieurs fichiers .txt, .md ou .pdf.",
                     "ko": "먼저 .txt, .md 또는 .pdf 파일을 하나 이상 고르세요."},
    "doc_line": {"en": "✓ **{title}** ({languages}, {chunks} chunks): {verb}.",
                 "fr": "✓ **{title}** ({languages}, {chunks} passages) : {verb}.",
                 "ko": "✓ **{title}** ({languages}, 구절 {chunks}개): {verb}."},
    "verb_unchanged": {"en": "already indexed, unchanged", "fr": "déjà indexé, inchangé", "ko": "이미 색인됨, 변경 없음"},
    "verb_updated": {"en": "updated", "fr": "mis à jour", "ko": "갱신됨"},
    "verb_added": {"en": "added", "fr": "ajouté", "ko": "추가됨"},
    "rejected": {"en": "✗ Rejected `{failure}`", "fr": "✗ Refusé `{failure}`", "ko": "✗ 거부됨 `{failure}`"},
    "nothing_to_do": {"en": "Nothing to do.", "fr": "Rien à faire.", "ko": "할 일이 없습니다."},
    "pick_remove": {"en": "Pick a document to remove first.", "fr": "Choisissez d'abord un document à retirer.",
                    "ko": "먼저 제거할 문서를 고르세요."},
    "not_in_index": {"en": "**{title}** was not in the index (already removed?).",
                     "fr": "**{title}** n'était pas dans l'index (déjà retiré ?).",
                     "ko": "**{title}** 문서는 색인에 없었습니다 (이미 제거됨?)."},
    "removed": {"en": "Removed **{title}** from the index.", "fr": "**{title}** a été retiré de l'index.",
                "ko": "**{title}** 문서를 색인에서 제거했습니다."},
    "reingested": {"en": "Re-ingested `{folder}`: {summary}", "fr": "`{folder}` réindexé : {summary}",
                   "ko": "`{folder}` 다시 색인함: {summary}"},
    "failed": {"en": "✗ Failed `{failure}`", "fr": "✗ Échec `{failure}`", "ko": "✗ 실패 `{failure}`"},
    "checking_files": {"en": "Checking the files", "fr": "Vérification des fichiers", "ko": "파일 확인 중"},
    "checking_corpus": {"en": "Checking the corpus folder", "fr": "Vérification du dossier du corpus",
                        "ko": "코퍼스 폴더 확인 중"},
}

# The lower layers' user-facing messages this page translates, by their English wording.
ERRORS = [
    (re.compile(r"Please type a question \("), "empty_question"),
    (re.compile(r"The question is too long \((?P<n>[\d,]+) characters; the limit is (?P<limit>[\d,]+)\)"),
     "long_question"),
    (re.compile(r"The question is too long for the model \((?P<n>[\d,]+) tokens; the whole prompt may use "
                r"(?P<budget>[\d,]+)\)"), "long_prompt"),
    (re.compile(r"cannot open this source \("), "bad_reference"),
    (re.compile(r"(?P<file>.+): no page (?P<page>\d+) \(the document has (?P<count>\d+)\)$"), "no_page"),
    (re.compile(r"this document is no longer in the index$"), "doc_gone"),
    (re.compile(r"(?P<file>.+): the file is gone from the disk$"), "file_gone"),
]


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


def text(key: str, language: str, **values: object) -> str:
    """The entry ``key`` in ``language`` (English for an unknown one), its ``{fields}`` filled from ``values``."""
    entry = CATALOGUE[key]
    words = entry.get(language) or entry[DEFAULT]
    return words.format(**values) if values else words


def error_text(message: str, language: str) -> str:
    """A known error message of the lower layers in ``language``; any other as it is."""
    for pattern, key in ERRORS:
        if found := pattern.match(message):
            return text(key, language, **found.groupdict())
    return message
