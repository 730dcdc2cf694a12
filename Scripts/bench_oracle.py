#!/usr/bin/env python3
"""Times vmo 0.30.5 and `musichal oracle` building the same VMOs; see bench-oracle.sh."""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import vmo


def cluster_frames(n, dim=22, centres=12, noise=0.1, seed=0):
    """Gaussian clusters visited mostly through repeated motifs, like the golden fixtures' generator."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 1, size=(centres, dim))
    motifs = [rng.integers(0, centres, size=rng.integers(3, 9)) for _ in range(6)]
    labels = []
    while len(labels) < n:
        if rng.random() < 0.8:
            labels.extend(motifs[rng.integers(0, len(motifs))])
        else:
            labels.append(int(rng.integers(0, centres)))
    labels = np.array(labels[:n])
    return means[labels] + rng.normal(0, noise, size=(n, dim))


def vmo_build(frames, threshold):
    start = time.perf_counter()
    oracle = vmo.build_oracle(frames, flag="a", threshold=threshold, dfunc="euclidean", dim=frames.shape[1])
    return time.perf_counter() - start, oracle


def musichal_build(binary, path, threshold):
    out = subprocess.run([binary, "oracle", "--frames", path, "--threshold", repr(threshold), "--timing"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def same_structure(oracle, printed):
    checks = {
        "sfx": list(oracle.sfx) == printed["sfx"],
        "lrs": [int(x) for x in oracle.lrs] == printed["lrs"],
        "trn": [list(map(int, t)) for t in oracle.trn] == printed["trn"],
        "rsfx": [sorted(map(int, r)) for r in oracle.rsfx] == printed["rsfx"],
        "data": [None] + [int(x) for x in oracle.data[1:]] == printed["symbols"],
    }
    return [name for name, ok in checks.items() if not ok]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--musichal", required=True)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no 100k row")
    args = parser.parse_args()
    sizes = [(1000, 7), (5000, 5), (20000, 3)]
    if args.quick:
        sizes = [(n, 1) for n, _ in sizes]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu}; vmo {getattr(vmo, '__version__', '0.30.5')}, "
          f"numpy {np.__version__}, python {platform.python_version()}")
    print("times: oracle construction only (frames already in memory), median of repeated runs; vmo builds repeatedly")
    print("in one warm Python process, MusicHal once per process: 'MusicHal s' is its second build in the process")
    print("(after a frame-by-frame build of the same frames), '1st s' the process's first build")
    print()
    header = (f"{'n':>6} {'threshold':>9} {'labels':>6} {'max LRS':>7} {'vmo s':>9} {'MusicHal s':>10} {'ratio':>8} "
              f"{'1st s':>9} {'1st ratio':>9}  identical")
    print(header)
    print("-" * len(header))
    worst = None
    worst_first = None
    with tempfile.TemporaryDirectory() as tmp:
        for n, repeats in sizes:
            frames = cluster_frames(n, seed=n)
            path = os.path.join(tmp, f"frames_{n}.json")
            with open(path, "w") as f:
                json.dump({"frames": frames.tolist()}, f)
            for threshold in (2.0, 0.6):
                vmo_times, ours, firsts = [], [], []
                oracle = None
                printed = None
                for _ in range(repeats):
                    seconds, oracle = vmo_build(frames, threshold)
                    vmo_times.append(seconds)
                    printed = musichal_build(args.musichal, path, threshold)
                    ours.append(printed["build_seconds"])
                    firsts.append(printed.get("build_first_seconds", printed["build_seconds"]))
                differing = same_structure(oracle, printed)
                ratio = statistics.median(vmo_times) / statistics.median(ours)
                worst = ratio if worst is None else min(worst, ratio)
                first_ratio = statistics.median(vmo_times) / statistics.median(firsts)
                worst_first = first_ratio if worst_first is None else min(worst_first, first_ratio)
                print(f"{n:>6} {threshold:>9} {printed['labels']:>6} {max(printed['lrs']):>7} "
                      f"{statistics.median(vmo_times):>9.4f} {statistics.median(ours):>10.5f} {ratio:>7.0f}x "
                      f"{statistics.median(firsts):>9.5f} {first_ratio:>8.0f}x  "
                      f"{'yes' if not differing else 'NO: ' + ', '.join(differing)}")
        print()
        print(f"slowest ratio: {worst:.0f}x, first builds {worst_first:.0f}x (target: at least 100x on every row)")
        if not args.quick:
            n = 100_000
            frames = cluster_frames(n, seed=n)
            path = os.path.join(tmp, "frames_100k.json")
            with open(path, "w") as f:
                json.dump({"frames": frames.tolist()}, f)
            print()
            print("incremental insertion at 100k states (MusicHal, microseconds per frame):")
            for threshold in (2.0, 0.6):
                printed = musichal_build(args.musichal, path, threshold)
                print(f"  threshold {threshold}: {printed['labels']} labels, p50 {printed['insert_p50_us']:.2f} us, "
                      f"p99 {printed['insert_p99_us']:.2f} us, max {printed['insert_max_us']:.1f} us "
                      f"(target: p99 under 50 us)")


if __name__ == "__main__":
    sys.exit(main())
