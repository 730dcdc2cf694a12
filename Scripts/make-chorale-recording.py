#!/usr/bin/env python3
"""Render four-part chorale-style progressions on piano, with their notes, for polyphonic pitch tests.

Three short phrases (G major, D minor, B-flat major) of block chords in four voices, voiced by a simple rule
(root in the bass, the other voices on chord tones close to where they were), rendered with fluidsynth and
Debian's FluidR3 General MIDI piano, encoded as mono FLAC. Written to Tests/Fixtures/chorales/.
Needs fluidsynth, fluid-soundfont-gm and sox; only developers who change the fixture run it.
"""
import json
import os
import struct
import subprocess
import tempfile

SAMPLE_RATE = 44100
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
CHORD_SECONDS = 0.9
GAP_SECONDS = 0.1

# (key tonic as MIDI pitch class, scale mode, progression of scale degrees)
PHRASES = [
    (7, "major", [1, 4, 5, 1, 6, 2, 5, 1]),
    (2, "minor", [1, 4, 5, 1, 6, 4, 5, 1]),
    (10, "major", [1, 6, 2, 5, 1, 4, 5, 1]),
]
SCALES = {"major": [0, 2, 4, 5, 7, 9, 11], "minor": [0, 2, 3, 5, 7, 8, 11]}  # harmonic minor


def triad(tonic, mode, degree):
    scale = SCALES[mode]
    return [(tonic + scale[(degree - 1 + step) % 7]) % 12 for step in (0, 2, 4)]


def voice(classes, previous):
    """Root in the bass; tenor, alto and soprano on chord tones, every tone present, moving as little as possible."""
    bass = 40 + (classes[0] - 40) % 12
    targets = previous[1:] if previous else [55, 62, 69]
    best = None
    for tenor in range(48, 68):
        for alto in range(tenor + 1, 75):
            for soprano in range(alto + 1, 82):
                upper = (tenor, alto, soprano)
                if any(p % 12 not in classes for p in upper) or set(classes) - {p % 12 for p in (bass,) + upper}:
                    continue
                if tenor - bass < 3 or alto - tenor > 12 or soprano - alto > 12:
                    continue
                cost = sum(abs(p - t) for p, t in zip(upper, targets))
                if best is None or cost < best[0]:
                    best = (cost, [bass, tenor, alto, soprano])
    return best[1]


def varlen(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.insert(0, (value & 0x7F) | 0x80)
        value >>= 7
    return bytes(out)


def main():
    out_dir = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "chorales")
    os.makedirs(out_dir, exist_ok=True)
    chords = []
    time = 0.3
    for tonic, mode, degrees in PHRASES:
        previous = None
        for degree in degrees:
            notes = voice(triad(tonic, mode, degree), previous)
            previous = notes
            chords.append({"onset_s": round(time, 6), "duration_s": CHORD_SECONDS, "midi": notes})
            time += CHORD_SECONDS + GAP_SECONDS
        time += 0.5
    ppq, tempo = 480, 500_000  # 120 bpm: one beat = 0.5 s
    ticks = lambda seconds: round(seconds / 0.5 * ppq)
    events = []
    for chord in chords:
        for note in chord["midi"]:
            events.append((ticks(chord["onset_s"]), 1, bytes([0x90, note, 80])))
            events.append((ticks(chord["onset_s"] + chord["duration_s"]), 0, bytes([0x80, note, 64])))
    events.sort(key=lambda e: (e[0], e[1]))
    track = varlen(0) + b"\xff\x51\x03" + tempo.to_bytes(3, "big") + varlen(0) + bytes([0xC0, 0])
    last = 0
    for tick, _, data in events:
        track += varlen(tick - last) + data
        last = tick
    track += varlen(ppq) + b"\xff\x2f\x00"
    smf = b"MThd" + struct.pack(">IHHH", 6, 0, 1, ppq) + b"MTrk" + struct.pack(">I", len(track)) + track
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = os.path.join(tmp, "c.mid"), os.path.join(tmp, "c.wav")
        open(mid, "wb").write(smf)
        subprocess.run(["fluidsynth", "-ni", "-g", "0.6", "-r", str(SAMPLE_RATE), "-F", wav, SOUNDFONT, mid],
                       check=True, stdout=subprocess.DEVNULL)
        flac = os.path.join(out_dir, "piano-chorales.flac")
        subprocess.run(["sox", wav, "-c", "1", "-b", "16", flac, "trim", "0", f"{time + 0.5:.3f}", "norm", "-1"],
                       check=True)
    with open(os.path.join(out_dir, "piano-chorales.notes.json"), "w") as f:
        json.dump({"title": "Four-part chorale-style progressions (generated)", "chords": chords}, f, indent=1)
        f.write("\n")
    print(f"{len(chords)} chords -> {flac}")


if __name__ == "__main__":
    main()
