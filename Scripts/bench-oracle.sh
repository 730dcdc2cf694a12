#!/usr/bin/env bash
# Benchmark: MusicHal's oracle construction against vmo 0.30.5, side by side in one run.
# Creates Scripts/.venv-vmo with vmo from PyPI, builds musichal in release, builds the same 22-D frames with both,
# checks the structures are identical and prints both times and their ratio, plus insertion latency at 100k states.
# Usage: Scripts/bench-oracle.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=Scripts/.venv-vmo
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check vmo==0.30.5 numpy==2.4.6 scipy==1.17.1
swift build -c release --scratch-path .build-bench --product musichal >/dev/null
"$venv/bin/python" Scripts/bench_oracle.py --musichal .build-bench/release/musichal "$@"
