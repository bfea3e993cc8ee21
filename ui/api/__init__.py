"""The HTTP API of ``survey-rag serve`` (see ``ui.api.app``)."""
