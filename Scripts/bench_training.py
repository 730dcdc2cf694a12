#!/usr/bin/env python3
"""Training speed on a 3-minute recording, and load time of a 100,000-event model. See bench-training.sh.

The 100k-event model is written here in Python from the format documented in Sources/ModelFormat/ModelFile.swift,
with its oracle built by vmo 0.30.5: MusicHal must read a file that an independent writer produced.
"""
import argparse
import os
import platform
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import soundfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def synth_recording(path, minutes=3.0, rate=44100, seed=5):
    rng = np.random.default_rng(seed)
    total = int(minutes * 60 * rate)
    y = np.zeros(total + rate, dtype=np.float64)
    t, pitch = 0.1, 62
    while t < minutes * 60:
        ioi = 0.12 + 0.4 * rng.random()
        pitch = int(np.clip(pitch + rng.integers(-5, 6), 48, 84))
        f0 = 440 * 2 ** ((pitch - 69) / 12)
        n = np.arange(int(ioi * 0.9 * rate))
        # Fast attack, exponential decay, and a 30 ms release (an abrupt cut would click like an onset).
        env = np.minimum(n / (0.004 * rate), 1) * np.exp(-3 * n / rate)
        env *= np.clip((len(n) - n) / (0.03 * rate), 0, 1)
        tone = sum(np.sin(2 * np.pi * k * f0 * n / rate) / k for k in range(1, 8) if k * f0 < rate / 2)
        start = int(t * rate)
        y[start:start + len(n)] += (0.2 + 0.4 * rng.random()) * env * tone
        t += ioi
    soundfile.write(path, (0.5 * y[:total] / np.max(np.abs(y))).astype(np.float32), rate, subtype="PCM_16")


def write_model(path, n=100_000, dim=22, threshold=2.0, seed=3):
    import vmo
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, size=(24, dim))
    labels = rng.integers(0, 24, size=n)
    frames = (centres[labels] + rng.normal(0, 0.1, size=(n, dim))).astype(np.float32)
    oracle = vmo.build_oracle(frames.astype(np.float64), flag="a", threshold=threshold, dfunc="euclidean", dim=dim)

    def string(text):
        data = text.encode()
        return struct.pack("<I", len(data)) + data

    meta = string("bench") + string("2026-11-22T00:00:00Z") + struct.pack("<dIB", 48000.0, 1, 0)
    meta += struct.pack("<I", 1) + string("synthetic") + string("none") + struct.pack("<dI", n * 0.25, n)
    meta += struct.pack("<I", 0)
    events = bytearray(struct.pack("<II", n, dim))
    for i in range(n):
        onset = i * 12000
        events += struct.pack("<QQdddBB4BdQd", onset, onset + 10000, 60.0, 261.6, 0.9, 80, 1, 60, 255, 255, 255,
                              -12.0, 0 if i == 0 else 12000, 900.0)
        events += frames[i].astype("<f4").tobytes()
    states = n + 1
    sfx = [-1] + [int(x) for x in oracle.sfx[1:]]
    data = [-1] + [int(x) for x in oracle.data[1:]]
    orcl = bytearray(struct.pack("<IdI", dim, threshold, states))
    orcl += np.array(sfx, dtype="<i4").tobytes() + np.array(oracle.lrs, dtype="<i4").tobytes()
    orcl += np.array(data, dtype="<i4").tobytes()
    offsets, targets, total = [], [], 0
    for row in oracle.trn:
        offsets.append(total)
        total += len(row)
        targets.extend(int(t) for t in row)
    offsets.append(total)
    orcl += np.array(offsets, dtype="<u4").tobytes() + np.array(targets, dtype="<i4").tobytes()
    body = b"MUSICHAL" + struct.pack("<III", 1, 0, 3)
    for tag, payload in ((b"META", meta), (b"EVNT", bytes(events)), (b"ORCL", bytes(orcl))):
        body += tag + struct.pack("<Q", len(payload)) + payload
    with open(path, "wb") as f:
        f.write(body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF))
    return os.path.getsize(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--musichal", required=True)
    args = parser.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu}; release build")
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "three-minutes.wav")
        synth_recording(recording)
        speeds = []
        for run in range(3):
            out = subprocess.run([args.musichal, "train", recording, "-o", os.path.join(tmp, f"m{run}.halmodel")],
                                 check=True, capture_output=True, text=True).stdout
            match = re.search(r"([\d.]+) s of audio in ([\d.]+) s", out)
            speeds.append(float(match.group(1)) / float(match.group(2)))
        print(out.strip())
        print(f"training, 3-minute recording (44.1 kHz WAV, resampled to 48 kHz, threshold auto): "
              f"{statistics.median(speeds):.0f}x real time (median of 3; target at least 60x)")

        model = os.path.join(tmp, "large.halmodel")
        size = write_model(model)
        loads = []
        for _ in range(5):
            err = subprocess.run([args.musichal, "inspect", model, "--timing"], check=True, capture_output=True,
                                 text=True).stderr
            loads.append(float(re.search(r"load_seconds=([\d.e-]+)", err).group(1)))
        print(f"model load, 100,000 events ({size / 1e6:.1f} MB, written by an independent Python writer, oracle by "
              f"vmo): {statistics.median(loads) * 1000:.1f} ms median of 5 (target under 100 ms)")


if __name__ == "__main__":
    main()
