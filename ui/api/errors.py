"""OpenAI-shaped errors: ``{"error": {"message", "type", "code"}}`` with the CLI's one-line messages.

Example:
    >>> ApiError(400, "Please type a question.", code="empty_question").body()["error"]["type"]
    'invalid_request_error'
"""

from __future__ import annotations

from starlette.responses import JSONResponse

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "invalid_request_error", 409: "conflict_error", 413: "invalid_request_error",
          422: "invalid_request_error", 500: "server_error", 502: "server_error", 503: "server_error"}


class ApiError(Exception):
    """A request the API answers with an error object; ``message`` is one line naming the cause."""

    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": _TYPES.get(self.status, "invalid_request_error"),
                          "param": self.param, "code": self.code}}

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=headers)
