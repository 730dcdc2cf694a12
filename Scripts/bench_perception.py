#!/usr/bin/env python3
"""Cost per 500 ms segment of the traditional feature path: MusicHal (onsets, pitch, chroma, consonance, the
22-D features) against the same analyses in librosa (onset strength, yin or pyin, chroma), side by side in one
run. See bench-perception.sh.

What is timed, on both sides, is the analysis alone, in CPU seconds of the thread doing it (the machine may be
shared; wall-clock time would count the time other processes held the core):
- MusicHal: `musichal analyze --timing` times the listener over the decoded, resampled samples (48 kHz, the
  configured rate) in blocks of 256, excluding process start-up, decoding, resampling and output. Before it, a
  throwaway listener hears the first 2 s (the first transforms fault FFTW's code in, about a millisecond that a
  daemon pays once; librosa is warmed up too). The cost per segment is the whole file's cost divided by its
  number of 500 ms segments; the median of 5 runs.
- librosa: each 500 ms segment of the file (at its own rate, 44.1 kHz) through onset_strength, yin or pyin
  (40-2000 Hz, frame 4096) and chroma_stft, after a warm-up run of both variants (numba compiles yin's and
  pyin's kernels on first use; that is not counted). chroma_stft gets tuning=0 because MusicHal does not
  estimate tuning. BLAS and numba run single-threaded. The cost per segment is the mean over the segments.
librosa keeps its default hops (onset 512, yin 1024 samples), coarser than MusicHal's 5 ms hop, so it does
less work per segment than MusicHal; the comparison does not favour MusicHal.
"""
import argparse
import os

# One core for librosa too: set before numpy and numba load.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[variable] = "1"

import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import librosa  # noqa: E402
import numpy as np  # noqa: E402

import perception_material  # noqa: E402

SEGMENT = 0.5
RUNS = 5


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def musichal_cost(binary, path):
    """(CPU seconds per segment, wall seconds per segment), medians over RUNS runs."""
    cpu, wall = [], []
    for _ in range(RUNS):
        err = subprocess.run([binary, "analyze", path, "--timing"], check=True, capture_output=True, text=True).stderr
        fields = dict(item.split("=") for item in err.split() if "=" in item)
        segments = float(fields["audio_seconds"]) / SEGMENT
        cpu.append(float(fields["analysis_cpu_seconds"]) / segments)
        wall.append(float(fields["analysis_seconds"]) / segments)
    return statistics.median(cpu), statistics.median(wall)


def librosa_segment(segment, sr, use_pyin):
    librosa.onset.onset_strength(y=segment, sr=sr)
    if use_pyin:
        librosa.pyin(segment, fmin=40, fmax=2000, sr=sr, frame_length=4096)
    else:
        librosa.yin(segment, fmin=40, fmax=2000, sr=sr, frame_length=4096)
    librosa.feature.chroma_stft(y=segment, sr=sr, tuning=0.0)


def librosa_cost(path, use_pyin):
    """Mean CPU seconds per segment."""
    y, sr = librosa.load(path, sr=None, mono=True)
    length = int(SEGMENT * sr)
    segments = [y[start:start + length] for start in range(0, len(y) - length + 1, length)]
    begin = time.thread_time()
    for segment in segments:
        librosa_segment(segment, sr, use_pyin)
    return (time.thread_time() - begin) / len(segments)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--musichal", required=True)
    args = parser.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu}; librosa {librosa.__version__}, numpy "
          f"{np.__version__}; MusicHal single-threaded, release build")
    print(f"load average at start: {load_average()}")
    print(f"cost per {SEGMENT * 1000:.0f} ms segment, CPU milliseconds of the analysing thread")
    print(f"{'material':<16} {'MusicHal':>9} {'x real time':>11} {'(wall)':>8} {'librosa yin':>11} {'ratio':>6} "
          f"{'librosa pyin':>12} {'ratio':>6}")
    totals = np.zeros(4)
    with tempfile.TemporaryDirectory() as tmp:
        items = perception_material.material(tmp)
        warm_up, sr = librosa.load(items[0][1], sr=None, mono=True, duration=2 * SEGMENT)
        librosa_segment(warm_up[:int(SEGMENT * sr)], sr, False)
        librosa_segment(warm_up[:int(SEGMENT * sr)], sr, True)
        for name, path, _ in items:
            ours, ours_wall = musichal_cost(args.musichal, path)
            yin = librosa_cost(path, False)
            pyin = librosa_cost(path, True)
            totals += (ours, ours_wall, yin, pyin)
            print(f"{name:<16} {ours * 1e3:>9.3f} {SEGMENT / ours:>10.0f}x {ours_wall * 1e3:>8.3f} "
                  f"{yin * 1e3:>11.2f} {yin / ours:>5.0f}x {pyin * 1e3:>12.1f} {pyin / ours:>5.0f}x")
        ours, ours_wall, yin, pyin = totals / len(items)
        print(f"{'mean':<16} {ours * 1e3:>9.3f} {SEGMENT / ours:>10.0f}x {ours_wall * 1e3:>8.3f} "
              f"{yin * 1e3:>11.2f} {yin / ours:>5.0f}x {pyin * 1e3:>12.1f} {pyin / ours:>5.0f}x")
    print(f"load average at end: {load_average()}")
    print("targets: at least 50x faster than librosa and at least 1000x real time on one core")


if __name__ == "__main__":
    main()
