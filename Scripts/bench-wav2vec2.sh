#!/usr/bin/env bash
# Benchmark: MusicHal's wav2vec 2.0 encoder (Swift + OpenBLAS) against PyTorch/transformers, side by side.
# Creates Scripts/.venv-w2v with CPU-only torch and transformers from PyPI, builds a seeded random-weight model
# with the exact wav2vec2-base architecture (saved with save_pretrained as safetensors) in a temporary folder,
# builds musichal in release, then times both (2 threads each, warm-up runs, median of 20; each cell in a fresh
# process) on 0.35, 0.5, 1 and 3 s of 16 kHz audio, checks the outputs agree (max |Δ| of last_hidden_state)
# and prints one table with both latencies, both peak RSS figures and the ratios.
#
# torch: PyPI's default Linux x86-64 wheel pulls in the CUDA libraries (several GB). This index also serves the
# CPU-only build as the local version 2.13.0+cpu (the version the wav2vec2 fixtures were made with), which
# installs in about a minute; the script tries it first and falls back to the default wheel.
# Usage: Scripts/bench-wav2vec2.sh [--runs N] [--warmup N] [--threads N] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=Scripts/.venv-w2v
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
if ! "${pip[@]}" 'torch==2.13.0+cpu' 'transformers==5.23.0' 'numpy==2.4.6'; then
    echo "bench-wav2vec2: no CPU-only torch 2.13.0+cpu here; installing PyPI's default torch (with CUDA libraries)" >&2
    "${pip[@]}" torch 'transformers==5.23.0' 'numpy==2.4.6'
fi
if ! command -v /usr/bin/time >/dev/null; then
    echo "bench-wav2vec2: needs /usr/bin/time (apt-get install time)" >&2
    exit 1
fi
swift build -c release --scratch-path .build-bench --product musichal >/dev/null
"$venv/bin/python" Scripts/bench_wav2vec2.py --musichal .build-bench/release/musichal "$@"
