#!/usr/bin/env bash
# Benchmark: cost per 500 ms segment of MusicHal's traditional feature path against librosa, in one run.
# Creates Scripts/.venv-librosa (librosa, soundfile, mir_eval from PyPI). Not a CI test: a measurement to read.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=Scripts/.venv-librosa
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check librosa mir_eval soundfile
swift build -c release --scratch-path .build-bench --product musichal >/dev/null
"$venv/bin/python" Scripts/bench_perception.py --musichal .build-bench/release/musichal "$@"
