#!/usr/bin/env python3
"""A JACK peer for the daemon tests: plays a synthetic melody into MusicHal's audio input and records its MIDI
output, all on the server's frame clock; prints one JSON object with the note onsets it played and the MIDI it
received.

usage: jack_peer.py SERVER SECONDS [--client musichal] [--notes N]
"""
import json
import sys
import threading
import time

import jack

from jack_open import open_client
import numpy as np


def melody(rate, seconds, count):
    """`count` notes (G4-D5 and around), 0.25 s long with a sharp attack, evenly spread; returns the signal and
    the sample offsets where notes start."""
    signal = np.zeros(int(seconds * rate), dtype=np.float32)
    pitches = [67, 69, 71, 72, 74, 72, 71, 69]
    onsets = []
    spacing = int((seconds - 1.0) * rate / count)
    for index in range(count):
        start = int(0.5 * rate) + index * spacing
        f0 = 440 * 2 ** ((pitches[index % len(pitches)] - 69) / 12)
        n = np.arange(int(0.25 * rate))
        envelope = np.minimum(n / (0.002 * rate), 1) * np.exp(-6 * n / rate)
        envelope *= np.clip((len(n) - n) / (0.02 * rate), 0, 1)
        tone = sum(np.sin(2 * np.pi * k * f0 * n / rate) / k for k in range(1, 6))
        signal[start:start + len(n)] += (0.4 * envelope * tone).astype(np.float32)
        onsets.append(start)
    return signal, onsets


def main():
    server, seconds = sys.argv[1], float(sys.argv[2])
    target = "musichal"
    count = 20
    if "--client" in sys.argv:
        target = sys.argv[sys.argv.index("--client") + 1]
    if "--notes" in sys.argv:
        count = int(sys.argv[sys.argv.index("--notes") + 1])
    client = open_client("peer", server)
    out = client.outports.register("out")
    midi_in = client.midi_inports.register("midi_in")
    rate = client.samplerate
    signal, onsets = melody(rate, seconds, count)
    state = {"position": None, "first": None}
    received = []
    lock = threading.Lock()

    @client.set_process_callback
    def process(frames):
        buffer = out.get_array()
        if state["position"] is None:
            buffer[:] = 0
        else:
            position = state["position"]
            if position == 0:
                state["first"] = client.last_frame_time
            chunk = signal[position:position + frames]
            buffer[:len(chunk)] = chunk
            buffer[len(chunk):] = 0
            state["position"] = position + frames
        base = client.last_frame_time
        for offset, data in midi_in.incoming_midi_events():
            with lock:
                received.append([base + offset] + list(bytes(data)))

    with client:
        deadline = time.time() + 15
        while time.time() < deadline:
            names = [port.name for port in client.get_ports()]
            if f"{target}:in_1" in names and f"{target}:midi_out" in names:
                break
            time.sleep(0.05)
        client.connect(out, f"{target}:in_1")
        client.connect(f"{target}:midi_out", midi_in)
        time.sleep(0.3)
        # The cycle that starts playing records its frame, so onset frames are exact.
        state["position"] = 0
        time.sleep(seconds + 1.5)
        with lock:
            events = list(received)
    first = state["first"]
    print(json.dumps({"rate": rate, "blocksize": client.blocksize, "first_frame": first,
                      "onsets": [first + o for o in onsets], "midi": events}))


if __name__ == "__main__":
    main()
