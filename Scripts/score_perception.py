#!/usr/bin/env python3
"""Scores MusicHal's onsets and pitches and the librosa baseline (onset_detect + pyin) with mir_eval, side by
side, on material with known notes. See score-perception.sh."""
import argparse
import json
import subprocess
import tempfile

import librosa
import mir_eval
import numpy as np

import perception_material


def musichal_events(binary, path):
    out = subprocess.run([binary, "analyze", path], check=True, capture_output=True, text=True).stdout
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    return np.array([e["onset_s"] for e in events]), [e["midi"] for e in events]


def librosa_events(path):
    y, sr = librosa.load(path, sr=None, mono=True)
    onsets = librosa.onset.onset_detect(y=y, sr=sr, units="time")
    f0, voiced, _ = librosa.pyin(y, fmin=40, fmax=2000, sr=sr, frame_length=4096)
    times = librosa.times_like(f0, sr=sr, hop_length=1024)
    pitches = []
    for i, onset in enumerate(onsets):
        end = onsets[i + 1] if i + 1 < len(onsets) else onset + 1.0
        mask = (times >= onset) & (times < end) & voiced
        pitches.append(float(np.median(librosa.hz_to_midi(f0[mask]))) if mask.any() else None)
    return onsets, pitches


def score(truth, onsets, pitches):
    reference = np.array([t[0] for t in truth])
    f1, precision, recall = mir_eval.onset.f_measure(reference, onsets, window=0.05)
    matches = mir_eval.util.match_events(reference, onsets, 0.05)
    correct = sum(1 for r, e in matches if pitches[e] is not None and abs(pitches[e] - truth[r][1]) < 0.5)
    return f1, correct / max(1, len(matches))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--musichal", required=True)
    parser.add_argument("--held-out", action="store_true",
                        help="also score seven instruments that were not used while tuning the listener")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, truth in perception_material.material(tmp, args.held_out):
            ours = score(truth, *musichal_events(args.musichal, path))
            theirs = score(truth, *librosa_events(path))
            rows.append((name, len(truth), ours, theirs))
    print(f"{'material':<18} {'notes':>5}  {'MusicHal onset F1':>17} {'pitch acc':>9}  {'librosa onset F1':>16} {'pitch acc':>9}")
    for name, count, (f1, acc), (lf1, lacc) in rows:
        print(f"{name:<18} {count:>5}  {f1:>17.3f} {acc:>9.3f}  {lf1:>16.3f} {lacc:>9.3f}")
    mean = lambda values: sum(values) / len(values)
    print(f"{'mean':<18} {'':>5}  {mean([r[2][0] for r in rows]):>17.3f} {mean([r[2][1] for r in rows]):>9.3f}  "
          f"{mean([r[3][0] for r in rows]):>16.3f} {mean([r[3][1] for r in rows]):>9.3f}")
    print("onsets within ±50 ms (mir_eval.onset.f_measure); pitch correct within half a semitone on matched onsets;"
          " librosa = onset_detect + pyin(fmin 40, fmax 2000)")


if __name__ == "__main__":
    main()
