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


# Warm builds timed inside each `musichal oracle` process, as vmo's builds are timed inside one Python process.
MUSICHAL_BUILDS = 5


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
    """Wall-clock and thread CPU seconds of one build, and the oracle."""
    cpu_start = time.thread_time()
    start = time.perf_counter()
    oracle = vmo.build_oracle(frames, flag="a", threshold=threshold, dfunc="euclidean", dim=frames.shape[1])
    return time.perf_counter() - start, time.thread_time() - cpu_start, oracle


def musichal_build(binary, path, threshold, builds=1):
    out = subprocess.run([binary, "oracle", "--frames", path, "--threshold", repr(threshold), "--timing",
                          "--repeat", str(builds)],
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
    print("times: oracle construction only (frames already in memory, no I/O or parsing), medians. vmo builds repeatedly in")
    print("one warm Python process, each oracle replacing the previous one; MusicHal the same way inside each `musichal")
    print(f"oracle` process ({MUSICHAL_BUILDS} builds after a first one and a frame-by-frame one; the median over processes of")
    print("their medians), one process between two vmo builds. 'cpu': the building thread's CPU time (both sides), which")
    print("leaves out waiting for a core on a shared machine; 'wall': wall clock; '1st': a process's first build (cpu)")
    print()
    header = (f"{'n':>6} {'threshold':>9} {'labels':>6} {'max LRS':>7} {'vmo cpu s':>9} {'ours cpu s':>10} {'ratio':>6} "
              f"{'vmo wall s':>10} {'ours wall s':>11} {'ratio':>6} {'1st cpu s':>9} {'ratio':>6}  identical")
    print(header)
    print("-" * len(header))
    worst = None
    worst_wall = None
    worst_first = None
    with tempfile.TemporaryDirectory() as tmp:
        for n, repeats in sizes:
            frames = cluster_frames(n, seed=n)
            path = os.path.join(tmp, f"frames_{n}.json")
            with open(path, "w") as f:
                json.dump({"frames": frames.tolist()}, f)
            for threshold in (2.0, 0.6):
                vmo_walls, vmo_cpus, our_walls, our_cpus, firsts = [], [], [], [], []
                oracle = None
                printed = None
                for _ in range(repeats):
                    wall, cpu_seconds, oracle = vmo_build(frames, threshold)
                    vmo_walls.append(wall)
                    vmo_cpus.append(cpu_seconds)
                    printed = musichal_build(args.musichal, path, threshold, MUSICHAL_BUILDS)
                    our_walls.append(printed["build_seconds"])
                    our_cpus.append(printed["build_cpu_seconds"])
                    firsts.append(printed["build_first_cpu_seconds"])
                differing = same_structure(oracle, printed)
                vmo_cpu, vmo_wall = statistics.median(vmo_cpus), statistics.median(vmo_walls)
                our_cpu, our_wall, first = (statistics.median(x) for x in (our_cpus, our_walls, firsts))
                ratio, wall_ratio, first_ratio = vmo_cpu / our_cpu, vmo_wall / our_wall, vmo_cpu / first
                worst = ratio if worst is None else min(worst, ratio)
                worst_wall = wall_ratio if worst_wall is None else min(worst_wall, wall_ratio)
                worst_first = first_ratio if worst_first is None else min(worst_first, first_ratio)
                print(f"{n:>6} {threshold:>9} {printed['labels']:>6} {max(printed['lrs']):>7} "
                      f"{vmo_cpu:>9.4f} {our_cpu:>10.5f} {ratio:>5.0f}x {vmo_wall:>10.4f} {our_wall:>11.5f} "
                      f"{wall_ratio:>5.0f}x {first:>9.5f} {first_ratio:>5.0f}x  "
                      f"{'yes' if not differing else 'NO: ' + ', '.join(differing)}")
        print()
        print(f"slowest ratio: {worst:.0f}x cpu, {worst_wall:.0f}x wall, first builds {worst_first:.0f}x cpu "
              f"(target: at least 100x on every row)")
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
