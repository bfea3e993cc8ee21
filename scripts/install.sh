#!/usr/bin/env bash
# Install survey-rag into .venv and fetch the default models (verified by SHA-256).
#   bash scripts/install.sh          # the app
#   bash scripts/install.sh --test   # the app, test tools, Chromium and a CJK font for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PY=$candidate; break; fi
  done
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/python -m pip install -q --upgrade pip
# CPU torch first, so sentence-transformers does not pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q "torch==2.13.0"
# Debian packages, as root or through sudo.
apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}
if [ $with_tests = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
  # The browser tests: Debian's Chromium and a CJK font.
  if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    apt_install chromium fonts-noto-cjk
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
# OCR of scanned PDFs and images (ingest/formats/ocr.py): Tesseract with Korean, French and English data.
if ! tesseract --list-langs 2>/dev/null | grep -qx kor; then
  apt_install tesseract-ocr tesseract-ocr-kor tesseract-ocr-fra tesseract-ocr-eng
fi
# With the default SURVEY_RAG_EMBEDDING_BACKEND=auto this also builds the embedding model's int8 ONNX export
# (ingest/onnx_export.py), so neither `survey-rag chat` nor the tests pay for it at their first start.
echo "fetching the default models, then building the embedding model's int8 export once (about 1 minute of CPU; several minutes on busy cores)"
.venv/bin/survey-rag models fetch
if [ $with_tests = 1 ]; then
  .venv/bin/survey-rag models fetch all-minilm-l6-v2 smollm2-135m-instruct-q4_1
fi
