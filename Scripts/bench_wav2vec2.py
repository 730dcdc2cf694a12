#!/usr/bin/env python3
"""Times PyTorch (transformers) and `musichal embed` on the same random-weight wav2vec2-base; see
bench-wav2vec2.sh. Each measurement runs in a fresh process so peak RSS (ru_maxrss, via /usr/bin/time) is the
process's own: PyTorch's includes importing torch and transformers, as any Python deployment would."""
import argparse
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile

DURATIONS = [0.35, 0.5, 1.0, 3.0]
RATE = 16000
SEED = 1234


def make_model(directory):
    """A seeded random wav2vec2-base (Wav2Vec2Config() defaults), saved as safetensors with its preprocessor."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(SEED)
    model = Wav2Vec2Model(Wav2Vec2Config()).eval()
    model.save_pretrained(directory, safe_serialization=True)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=RATE, padding_value=0.0, do_normalize=True,
                             return_attention_mask=False).save_pretrained(directory)


def make_audio(directory):
    """A seeded test signal per duration: a chirp with a harmonic, noise and a DC offset, as float32 WAV + raw."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    paths = {}
    for seconds in DURATIONS:
        n = int(round(seconds * RATE))
        t = np.arange(n) / RATE
        phase = 2 * np.pi * (220 * t + (2000 / (2 * seconds)) * t * t)
        wave = 0.4 * np.sin(phase) + 0.1 * np.sin(3 * phase) + 0.02 * rng.standard_normal(n) + 0.01
        wave = wave.astype("<f4")
        stem = os.path.join(directory, f"wave_{n}")
        wave.tofile(stem + ".f32")
        data = wave.tobytes()
        # IEEE float WAV (format 3) with a fact chunk, which libsndfile reads exactly.
        header = b"RIFF" + struct.pack("<I", 4 + 26 + 12 + 8 + len(data)) + b"WAVE"
        header += b"fmt " + struct.pack("<IHHIIHHH", 18, 3, 1, RATE, RATE * 4, 4, 32, 0)
        header += b"fact" + struct.pack("<II", 4, n)
        header += b"data" + struct.pack("<I", len(data))
        with open(stem + ".wav", "wb") as f:
            f.write(header + data)
        paths[seconds] = stem
    return paths


def torch_cell(model_dir, stem, runs, warmup, threads, out_path):
    """Loads the model, times `model(input_values)` and saves last_hidden_state; prints timings as JSON."""
    import time

    import numpy as np
    import torch
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.set_num_threads(threads)
    model = Wav2Vec2Model.from_pretrained(model_dir).eval()
    extractor = Wav2Vec2FeatureExtractor.from_pretrained(model_dir)
    wave = np.fromfile(stem + ".f32", dtype="<f4")
    inputs = extractor(wave, sampling_rate=RATE, return_tensors="pt").input_values
    timings = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(inputs)
        for _ in range(runs):
            start = time.perf_counter()
            output = model(inputs)
            timings.append((time.perf_counter() - start) * 1000)
    np.save(out_path, output.last_hidden_state[0].numpy())
    print(json.dumps({"timings_ms": timings, "torch": torch.__version__, "threads": torch.get_num_threads()}))


def timed(command, env=None):
    """Runs `command` under /usr/bin/time; returns (stdout, peak RSS in MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + command, capture_output=True,
                                text=True, env=env)
        if result.returncode != 0:
            sys.exit(f"benchmark step failed ({' '.join(command[:3])} ...):\n{result.stderr}")
        return result.stdout, int(rss.read().strip().splitlines()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--musichal", help="the release musichal executable")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per cell (median reported)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the temporary model and audio")
    parser.add_argument("--torch-cell", nargs=3, metavar=("MODEL", "STEM", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_cell:
        torch_cell(*args.torch_cell[:2], args.runs, args.warmup, args.threads, args.torch_cell[2])
        return
    if not args.musichal:
        parser.error("--musichal is required")

    import numpy as np

    load_before = os.getloadavg()[0]
    work = tempfile.mkdtemp(prefix="bench-w2v-")
    try:
        model_dir = os.path.join(work, "wav2vec2-base-random")
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
                        f"import bench_wav2vec2 as b; b.make_model({model_dir!r})"], check=True)
        stems = make_audio(work)
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
        rows = []
        machine = {}
        for seconds in DURATIONS:
            stem = stems[seconds]
            torch_out = stem + ".torch.npy"
            out, torch_rss = timed([sys.executable, __file__, "--torch-cell", model_dir, stem, torch_out,
                                    "--runs", str(args.runs), "--warmup", str(args.warmup),
                                    "--threads", str(args.threads)], env=env)
            torch_report = json.loads(out.strip().splitlines()[-1])
            out, hal_rss = timed([args.musichal, "embed", model_dir, stem + ".wav", "--all",
                                  "--threads", str(args.threads), "--warmup", str(args.warmup),
                                  "--repeat", str(args.runs)])
            hal_report = json.loads(out)
            reference = np.load(torch_out)
            ours = np.array(hal_report["last_hidden_state"], dtype=np.float32)
            diff = float(np.max(np.abs(reference - ours))) if reference.shape == ours.shape else float("inf")
            pooled_diff = float(np.max(np.abs(reference.mean(axis=0) - np.array(hal_report["pooled"]))))
            machine = {"torch": torch_report["torch"], "openblas_core": hal_report["openblas_core"]}
            rows.append({
                "seconds": seconds, "frames": hal_report["frames"],
                "torch_ms": statistics.median(torch_report["timings_ms"]), "torch_min": min(torch_report["timings_ms"]),
                "hal_ms": statistics.median(hal_report["timings_ms"]), "hal_min": min(hal_report["timings_ms"]),
                "torch_rss": torch_rss, "hal_rss": hal_rss, "diff": diff, "pooled_diff": pooled_diff,
            })

        model_name = "unknown"
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                model_name = line.split(":", 1)[1].strip()
        print(f"machine: {os.cpu_count()} CPUs ({model_name}), {platform.platform()}; "
              f"OpenBLAS core {machine['openblas_core']}; torch {machine['torch']}; {args.threads} threads each; "
              f"median of {args.runs} runs after {args.warmup} warm-ups")
        print(f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after: other processes on "
              f"the machine slow both sides, PyTorch's spinning OpenMP threads most")
        print(f"model: random-weight wav2vec2-base (Wav2Vec2Config() defaults, seed {SEED}), float32, batch 1")
        header = (f"{'audio':>6} {'T':>4} | {'PyTorch ms':>12} {'MusicHal ms':>12} {'ratio':>6} | "
                  f"{'PyTorch RSS':>11} {'MusicHal RSS':>12} {'ratio':>6} | "
                  f"{'max|Δ| last':>11} {'max|Δ| pooled':>13}")
        print(header)
        print("-" * len(header))
        for r in rows:
            print(f"{r['seconds']:>5}s {r['frames']:>4} | {r['torch_ms']:>7.1f} ({r['torch_min']:>4.0f}) "
                  f"{r['hal_ms']:>7.1f} ({r['hal_min']:>4.0f}) {r['hal_ms'] / r['torch_ms']:>6.2f} | "
                  f"{r['torch_rss']:>8.0f} MB {r['hal_rss']:>9.0f} MB {r['hal_rss'] / r['torch_rss']:>6.2f} | "
                  f"{r['diff']:>11.2e} {r['pooled_diff']:>13.2e}")
        half = next(r for r in rows if r["seconds"] == 0.5)
        latency = half["hal_ms"] / half["torch_ms"]
        memory = half["hal_rss"] / half["torch_rss"]
        print(f"targets at 0.5 s: latency ratio {latency:.2f} (≤ 0.70: {'met' if latency <= 0.7 else 'NOT met'}), "
              f"peak RSS ratio {memory:.2f} (≤ 0.60: {'met' if memory <= 0.6 else 'NOT met'})")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
