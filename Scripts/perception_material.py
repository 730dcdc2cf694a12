"""Test material with known notes for the perception scripts (score-perception.sh, bench-perception.sh).

Monophonic melodies: the shipped demo minuet (piano), the same melody rendered with fluidsynth on flute,
violin, clarinet and trumpet when fluidsynth is installed, and additive-synthesis melodies with random
pitches and rhythms. Each item is (name, wav path, [(onset seconds, MIDI note)]).
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import soundfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
INSTRUMENTS = [("flute", 73), ("violin", 40), ("clarinet", 71), ("trumpet", 56)]
# Never looked at while tuning the listener (the four above were): a check that the tuning generalises.
HELD_OUT = [("oboe", 68), ("alto-sax", 65), ("cello", 42), ("bassoon", 70), ("horn", 60), ("voice", 53),
            ("harmonica", 22)]


def demo_truth():
    with open(os.path.join(ROOT, "Config/demo/minuet-in-g.notes.json")) as f:
        notes = json.load(f)["notes"]
    return [(n["onset_s"], n["midi"], n["duration_s"]) for n in notes]


def synth_melody(seed, count=80, rate=44100):
    rng = np.random.default_rng(seed)
    t, pitch, notes = 0.2, 60, []
    for _ in range(count):
        ioi = 0.15 + 0.35 * rng.random()
        pitch = int(np.clip(pitch + rng.integers(-7, 8), 45, 86))
        notes.append((t, pitch, ioi * 0.9, 0.3 + 0.5 * rng.random()))
        t += ioi
    y = np.zeros(int((t + 0.5) * rate))
    for onset, midi, dur, amp in notes:
        f0 = 440 * 2 ** ((midi - 69) / 12)
        n = np.arange(int((dur + 0.03) * rate))
        env = np.minimum(n / (0.004 * rate), 1) * np.exp(-2.5 * n / rate)
        release = n >= int(dur * rate)
        env[release] *= np.maximum(0, 1 - (n[release] - dur * rate) / (0.03 * rate))
        tone = sum(np.sin(2 * np.pi * k * f0 * n / rate) / k for k in range(1, 9) if k * f0 < rate / 2)
        start = int(onset * rate)
        y[start:start + len(n)] += amp * env * tone * 0.6
    return y.astype(np.float32), [(o, m, d) for o, m, d, _ in notes]


def render_minuet(program, path):
    """Re-render the demo melody with another General MIDI program (needs fluidsynth)."""
    sys.path.insert(0, os.path.join(ROOT, "Scripts"))
    import importlib.util
    spec = importlib.util.spec_from_file_location("demo", os.path.join(ROOT, "Scripts/make-demo-recording.py"))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    notes, _ = demo.parse(demo.MINUET)
    demo.PROGRAM = program
    mid = path + ".mid"
    with open(mid, "wb") as f:
        f.write(demo.smf(notes))
    subprocess.run(["fluidsynth", "-ni", "-g", "0.7", "-r", "44100", "-F", path, SOUNDFONT, mid],
                   check=True, stdout=subprocess.DEVNULL)
    os.unlink(mid)


def material(tmp, held_out=False):
    items = [("minuet-piano", os.path.join(ROOT, "Config/demo/minuet-in-g.flac"), demo_truth())]
    if shutil.which("fluidsynth") and os.path.exists(SOUNDFONT):
        for name, program in INSTRUMENTS + (HELD_OUT if held_out else []):
            path = os.path.join(tmp, f"minuet-{name}.wav")
            render_minuet(program, path)
            items.append((f"minuet-{name}", path, demo_truth()))
    else:
        print("fluidsynth not found: scoring the piano demo and synthetic melodies only", file=sys.stderr)
    for seed in (1, 2, 3):
        y, truth = synth_melody(seed)
        path = os.path.join(tmp, f"synth-{seed}.wav")
        soundfile.write(path, y, 44100)
        items.append((f"synthetic-{seed}", path, truth))
    return items
