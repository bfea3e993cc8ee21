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
# llama.cpp is compiled here. Its default, -march=native, compiles in AMX matrix code wherever the CPU lists
# AMX, and on a virtual Sapphire Rapids machine whose hypervisor does not let processes use the tiles, the
# first answer dies in ldtilecfg (general protection fault in ggml_backend_amx_mul_mat; seen 2026-12-01).
# So the build names this CPU's vector extensions itself, AMX left out; a build that has it is rebuilt.
llama_cmake_args() {
  local args="-DGGML_NATIVE=OFF" flags
  flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
  has() { [[ " $flags " == *" $1 "* ]]; }
  if has avx512f && has avx512bw && has avx512vl && has avx512dq; then
    args+=" -DGGML_AVX512=ON"
    has avx512_vnni && args+=" -DGGML_AVX512_VNNI=ON"
    has avx512vbmi && args+=" -DGGML_AVX512_VBMI=ON"
    has avx512_bf16 && args+=" -DGGML_AVX512_BF16=ON"
  fi
  has avx_vnni && args+=" -DGGML_AVX_VNNI=ON"
  echo "$args"
}
if [ "$(uname -m)" = x86_64 ] && ! .venv/bin/python -c \
    "import sys, llama_cpp; sys.exit(b'AMX_INT8 = 1' in llama_cpp.llama_print_system_info())" 2>/dev/null; then
  # No wheel cache: pip's cache would hand back a -march=native build made earlier on this machine.
  CMAKE_ARGS="$(llama_cmake_args) ${CMAKE_ARGS:-}" .venv/bin/python -m pip install -q --no-cache-dir --force-reinstall \
    --no-deps "llama-cpp-python>=0.3.36,<0.4"
fi
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
