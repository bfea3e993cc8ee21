"""The foundation every other package builds on: settings, the offline model registry, user-facing
errors, progress reporting, language detection and the shared text helpers.

It imports nothing from the project's other packages (ingest → rag → ui → survey_rag sit above it).
"""
