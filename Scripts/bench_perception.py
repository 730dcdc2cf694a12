#!/usr/bin/env python3
"""Cost per 500 ms segment of the traditional feature path: MusicHal (onsets, pitch, chroma, consonance, the
22-D features) against the same analyses in librosa (onset strength, yin or pyin, chroma), side by side in one
run. See bench-perception.sh."""
import argparse
import os
import platform
import statistics
import subprocess
import tempfile
import time

import librosa
import numpy as np

import perception_material

SEGMENT = 0.5


def musichal_cost(binary, path, repeats):
    per_segment = []
    for _ in range(repeats):
        err = subprocess.run([binary, "analyze", path, "--timing"], check=True, capture_output=True, text=True).stderr
        fields = dict(item.split("=") for item in err.split() if "=" in item)
        per_segment.append(float(fields["analysis_seconds"]) / (float(fields["audio_seconds"]) / SEGMENT))
    return statistics.median(per_segment)


def librosa_cost(path, use_pyin):
    y, sr = librosa.load(path, sr=None, mono=True)
    length = int(SEGMENT * sr)
    costs = []
    for start in range(0, len(y) - length + 1, length):
        segment = y[start:start + length]
        begin = time.perf_counter()
        librosa.onset.onset_strength(y=segment, sr=sr)
        if use_pyin:
            librosa.pyin(segment, fmin=40, fmax=2000, sr=sr, frame_length=4096)
        else:
            librosa.yin(segment, fmin=40, fmax=2000, sr=sr, frame_length=4096)
        librosa.feature.chroma_stft(y=segment, sr=sr)
        costs.append(time.perf_counter() - begin)
    return statistics.median(costs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--musichal", required=True)
    args = parser.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu}; librosa {librosa.__version__}; "
          f"MusicHal single-threaded, release build")
    print(f"cost per {SEGMENT * 1000:.0f} ms segment (median), milliseconds")
    print(f"{'material':<18} {'MusicHal':>9} {'x real time':>11} {'librosa yin':>11} {'ratio':>7} {'librosa pyin':>12} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        items = perception_material.material(tmp)
        librosa_cost(items[0][1], False)  # warm up numba and caches before timing
        for name, path, _ in items:
            ours = musichal_cost(args.musichal, path, 3)
            yin = librosa_cost(path, False)
            pyin = librosa_cost(path, True)
            print(f"{name:<18} {ours * 1e3:>9.3f} {SEGMENT / ours:>10.0f}x {yin * 1e3:>11.2f} {yin / ours:>6.0f}x "
                  f"{pyin * 1e3:>12.1f} {pyin / ours:>6.0f}x")
    print("targets: at least 50x faster than librosa and at least 1000x real time on one core")


if __name__ == "__main__":
    main()
