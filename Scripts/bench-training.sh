#!/usr/bin/env bash
# Benchmark: `musichal train` speed on a 3-minute recording and the load time of a 100,000-event model.
# Uses Scripts/.venv-vmo (vmo, numpy, soundfile from PyPI). Not a CI test: a measurement to read.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=Scripts/.venv-vmo
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check vmo==0.30.5 numpy==2.4.6 scipy==1.17.1 soundfile
swift build -c release --scratch-path .build-bench --product musichal >/dev/null
"$venv/bin/python" Scripts/bench_training.py --musichal .build-bench/release/musichal "$@"
