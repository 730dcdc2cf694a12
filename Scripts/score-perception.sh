#!/usr/bin/env bash
# Accuracy: MusicHal's perception against the librosa baseline, scored with mir_eval on material with known
# notes. Creates Scripts/.venv-librosa (librosa, mir_eval, soundfile from PyPI); renders extra instruments with
# fluidsynth when it is installed. Not a CI test: a measurement to read. Usage: Scripts/score-perception.sh [--held-out]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=Scripts/.venv-librosa
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check librosa mir_eval soundfile
swift build -c release --scratch-path .build-bench --product musichal >/dev/null
"$venv/bin/python" Scripts/score_perception.py --musichal .build-bench/release/musichal "$@"
