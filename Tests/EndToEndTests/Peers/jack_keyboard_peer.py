#!/usr/bin/env python3
"""A JACK keyboard for the daemon tests: plays notes as MIDI into MusicHal's MIDI input (optionally a synthetic
melody into its audio input too) and records its MIDI output, all on the server's frame clock; prints one JSON
object with the frames of the note-ons it played and the MIDI it received.

The peer does not connect its keyboard port itself: MusicHal's `midi.input.connect` pattern must do it. It waits
for that connection before playing.

usage: jack_keyboard_peer.py SERVER SECONDS [--client musichal] [--notes N] [--audio]
"""
import json
import sys
import threading
import time

import jack

from jack_open import open_client
import numpy as np

PITCHES = [60, 62, 64, 65, 67, 65, 64, 62]


def melody(rate, seconds, count):
    """A plucked synthetic melody a fifth above the keyboard's notes, offset by 0.15 s."""
    signal = np.zeros(int(seconds * rate), dtype=np.float32)
    spacing = int((seconds - 1.0) * rate / count)
    for index in range(count):
        start = int(0.65 * rate) + index * spacing
        f0 = 440 * 2 ** ((PITCHES[index % len(PITCHES)] + 7 - 69) / 12)
        n = np.arange(int(0.25 * rate))
        envelope = np.minimum(n / (0.002 * rate), 1) * np.exp(-6 * n / rate)
        envelope *= np.clip((len(n) - n) / (0.02 * rate), 0, 1)
        tone = sum(np.sin(2 * np.pi * k * f0 * n / rate) / k for k in range(1, 6))
        signal[start:start + len(n)] += (0.4 * envelope * tone).astype(np.float32)
    return signal


def main():
    server, seconds = sys.argv[1], float(sys.argv[2])
    target = "musichal"
    count = 16
    audio = "--audio" in sys.argv
    if "--client" in sys.argv:
        target = sys.argv[sys.argv.index("--client") + 1]
    if "--notes" in sys.argv:
        count = int(sys.argv[sys.argv.index("--notes") + 1])
    client = open_client("keys", server)
    keyboard = client.midi_outports.register("out")
    midi_in = client.midi_inports.register("midi_in")
    audio_out = client.outports.register("audio") if audio else None
    rate = client.samplerate
    spacing = int((seconds - 1.0) * rate / count)
    # (offset from the start, bytes): note-on, and 0.2 s later its note-off (every other one as velocity 0).
    script = []
    for index in range(count):
        start = int(0.5 * rate) + index * spacing
        note = PITCHES[index % len(PITCHES)]
        script.append((start, bytes([0x90, note, 70 + index])))
        script.append((start + int(0.2 * rate), bytes([0x80, note, 64]) if index % 2 else bytes([0x90, note, 0])))
    signal = melody(rate, seconds, count) if audio else None
    state = {"start": None, "next": 0, "position": 0}
    received = []
    lock = threading.Lock()

    @client.set_process_callback
    def process(frames):
        base = client.last_frame_time
        keyboard.clear_buffer()
        if state["start"] is None and state.get("go"):
            state["start"] = base
        if audio_out is not None:
            buffer = audio_out.get_array()
            buffer[:] = 0
            if state["start"] is not None:
                position = state["position"]
                chunk = signal[position:position + frames]
                buffer[:len(chunk)] = chunk
                state["position"] = position + frames
        if state["start"] is not None:
            while state["next"] < len(script):
                offset, data = script[state["next"]]
                frame = state["start"] + offset
                if frame >= base + frames:
                    break
                keyboard.write_midi_event(max(0, frame - base), data)
                state["next"] += 1
        for offset, data in midi_in.incoming_midi_events():
            with lock:
                received.append([base + offset] + list(bytes(data)))

    with client:
        deadline = time.time() + 15
        ours = f"{target}:midi_in"
        while time.time() < deadline:
            names = [port.name for port in client.get_ports()]
            if ours in names and f"{target}:midi_out" in names:
                if any(p.name == keyboard.name for p in client.get_all_connections(ours)):
                    break
            time.sleep(0.05)
        connected = any(p.name == keyboard.name for p in client.get_all_connections(ours))
        client.connect(f"{target}:midi_out", midi_in)
        if audio_out is not None:
            client.connect(audio_out, f"{target}:in_1")
        time.sleep(0.3)
        state["go"] = True
        time.sleep(seconds + 1.5)
        with lock:
            events = list(received)
        blocksize = client.blocksize
    start = state["start"]
    onsets = [start + offset for offset, data in script if data[0] == 0x90 and data[2] > 0]
    print(json.dumps({"rate": rate, "blocksize": blocksize, "connected_by_daemon": connected,
                      "onsets": onsets, "midi": events}))


if __name__ == "__main__":
    main()
