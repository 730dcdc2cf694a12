#!/usr/bin/env python3
"""Render the demo recording shipped in Config/demo/.

The melody is the Minuet in G major (BWV Anh. 114, from the 1725 Notebook for Anna Magdalena Bach,
attributed to Christian Petzold; public domain). It is written here as note names, turned into a Standard
MIDI File, rendered with fluidsynth and Debian's FluidR3 General MIDI soundfont, and encoded as mono FLAC.
The ground-truth notes are written beside it as JSON so tests can score what MusicHal hears.

Needs: fluidsynth, fluid-soundfont-gm, sox (Debian packages). Only developers who change the recording run
this; the rendered files are committed.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

TEMPO_BPM = 144
PROGRAM = 0  # General MIDI acoustic grand piano
SAMPLE_RATE = 44100
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"

# (note, beats); q = 1 beat, e = 0.5, h. = 3.
MINUET = """
D5 q G4 e A4 e B4 e C5 e | D5 q G4 q G4 q | E5 q C5 e D5 e E5 e F#5 e | G5 q G4 q G4 q |
C5 q D5 e C5 e B4 e A4 e | B4 q C5 e B4 e A4 e G4 e | F#4 q G4 e A4 e B4 e G4 e | A4 h. |
D5 q G4 e A4 e B4 e C5 e | D5 q G4 q G4 q | E5 q C5 e D5 e E5 e F#5 e | G5 q G4 q G4 q |
C5 q D5 e C5 e B4 e A4 e | B4 q C5 e B4 e A4 e G4 e | A4 q B4 e A4 e G4 e F#4 e | G4 h. |
B5 q G5 e A5 e B5 e G5 e | A5 q D5 e E5 e F#5 e D5 e | G5 q E5 e F#5 e G5 e D5 e | C#5 q B4 e C#5 e A4 q |
A4 e B4 e C#5 e D5 e E5 e F#5 e | G5 q F#5 q E5 q | F#5 q A4 q C#5 q | D5 h. |
D5 q G4 e F#4 e G4 q | E5 q G4 e F#4 e G4 q | D5 q C5 q B4 q | A4 e G4 e F#4 e G4 e A4 q |
D4 e E4 e F#4 e G4 e A4 e B4 e | C5 q B4 q A4 q | B4 e D5 e G4 q F#4 q | G4 h.
"""

BEATS = {"q": 1.0, "e": 0.5, "h.": 3.0, "h": 2.0}
STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def midi_number(name):
    step = STEPS[name[0]]
    rest = name[1:]
    if rest.startswith("#"):
        step += 1
        rest = rest[1:]
    elif rest.startswith("b"):
        step -= 1
        rest = rest[1:]
    return 12 * (int(rest) + 1) + step


def parse(text):
    tokens = text.replace("|", " ").split()
    notes = []
    beat = 0.0
    for name, length in zip(tokens[0::2], tokens[1::2]):
        beats = BEATS[length]
        notes.append((midi_number(name), beat, beats))
        beat += beats
    return notes, beat


def varlen(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.insert(0, (value & 0x7F) | 0x80)
        value >>= 7
    return bytes(out)


def smf(notes, ppq=480):
    events = []
    for index, (note, start, beats) in enumerate(notes):
        on = round(start * ppq)
        off = round((start + beats * 0.92) * ppq)  # slightly detached, like a played minuet
        velocity = 84 if start % 3 == 0 else 70 - (index % 3) * 4
        events.append((on, 1, bytes([0x90, note, velocity])))
        events.append((off, 0, bytes([0x80, note, 64])))
    events.sort(key=lambda e: (e[0], e[1]))
    tempo = round(60_000_000 / TEMPO_BPM)
    track = varlen(0) + b"\xff\x51\x03" + tempo.to_bytes(3, "big")
    track += varlen(0) + bytes([0xC0, PROGRAM])
    last = 0
    for tick, _, data in events:
        track += varlen(tick - last) + data
        last = tick
    track += varlen(ppq) + b"\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, ppq)
    return header + b"MTrk" + struct.pack(">I", len(track)) + track


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Config", "demo")
    notes, total_beats = parse(MINUET)
    seconds_per_beat = 60.0 / TEMPO_BPM
    with tempfile.TemporaryDirectory() as tmp:
        mid = os.path.join(tmp, "minuet.mid")
        wav = os.path.join(tmp, "minuet.wav")
        with open(mid, "wb") as f:
            f.write(smf(notes))
        subprocess.run(["fluidsynth", "-ni", "-g", "0.7", "-r", str(SAMPLE_RATE), "-F", wav, SOUNDFONT, mid],
                       check=True, stdout=subprocess.DEVNULL)
        flac = os.path.join(out_dir, "minuet-in-g.flac")
        # Mono, trimmed to the music plus a short tail, peak-normalised to -1 dBFS.
        length = total_beats * seconds_per_beat + 1.0
        subprocess.run(["sox", wav, "-c", "1", "-b", "16", flac, "trim", "0", f"{length:.3f}", "norm", "-1"],
                       check=True)
    truth = {
        "title": "Minuet in G major, BWV Anh. 114 (public domain)",
        "tempo_bpm": TEMPO_BPM,
        "sample_rate": SAMPLE_RATE,
        "notes": [
            {"onset_s": round(start * seconds_per_beat, 6), "duration_s": round(beats * 0.92 * seconds_per_beat, 6),
             "midi": note}
            for note, start, beats in notes
        ],
    }
    with open(os.path.join(out_dir, "minuet-in-g.notes.json"), "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    print(f"{len(notes)} notes, {total_beats * seconds_per_beat:.1f} s -> {flac}")


if __name__ == "__main__":
    main()
