#!/usr/bin/env python3
"""A JACK peer for the fault test: the musician and the synth for one server lifetime.

Joins SERVER as client `peer`, plays a looping melody on `peer:out` and records the MIDI arriving at
`peer:midi_in` (the daemon connects both by pattern), until the server goes away, its standard input closes, or
SECONDS pass. With --join-on-line it prints WAITING once loaded and joins only when a line arrives on its standard
input (so it joins within milliseconds when told). On stderr it prints READY once its ports exist and, once after
--sounding-after seconds of playing, SOUNDING at a moment when a note it heard is still down (so the test can
kill the server mid-note). On stdout, at the end, one JSON object:
{"midi": [[frame, byte, ...], ...], "shutdown": true when the server went away, "frames": frames played}.

usage: jack_fault_peer.py SERVER SECONDS [--sounding-after SECONDS] [--join-on-line]
"""
import json
import os
import sys
import threading
import time

import jack

from jack_open import open_client
import numpy as np

from jack_peer import melody


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def join(server, on_line):
    """The client; with `on_line`, only once a line arrives on standard input."""
    if on_line:
        print("WAITING", file=sys.stderr, flush=True)
        sys.stdin.readline()
    return open_client("peer", server)


def main():
    server, seconds = sys.argv[1], float(sys.argv[2])
    sounding_after = float(option("--sounding-after", "1.0"))
    client = join(server, "--join-on-line" in sys.argv)
    out = client.outports.register("out")
    midi_in = client.midi_inports.register("midi_in")
    rate = client.samplerate
    signal, _ = melody(rate, 8, 24)
    gone = threading.Event()
    sounding = threading.Event()
    lock = threading.Lock()
    received = []
    state = {"position": 0, "down": {}}

    @client.set_process_callback
    def process(frames):
        position = state["position"]
        indices = np.arange(position, position + frames) % len(signal)
        out.get_array()[:] = signal[indices]
        state["position"] = position + frames
        base = client.last_frame_time
        down = state["down"]
        for offset, data in midi_in.incoming_midi_events():
            event = [base + offset] + list(bytes(data))
            with lock:
                received.append(event)
            if len(event) < 4:
                continue
            kind, channel = event[1] & 0xF0, event[1] & 0x0F
            if kind == 0x90 and event[3] > 0:
                down[(channel, event[2])] = down.get((channel, event[2]), 0) + 1
            elif kind in (0x80, 0x90) and down.get((channel, event[2]), 0) > 0:
                down[(channel, event[2])] -= 1
            elif kind == 0xB0 and event[2] in (120, 123):
                for key in [key for key in down if key[0] == channel]:
                    down[key] = 0
        if state["position"] >= sounding_after * rate and any(count > 0 for count in down.values()):
            sounding.set()

    client.set_shutdown_callback(lambda status, reason: gone.set())
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    client.activate()
    print("READY", file=sys.stderr, flush=True)
    deadline = time.time() + seconds
    while time.time() < deadline and not gone.is_set() and not stop.is_set():
        if sounding.is_set():
            print("SOUNDING", file=sys.stderr, flush=True)
            sounding.clear()
            sounding_after = float("inf")
        gone.wait(0.005)
    with lock:
        events = list(received)
    print(json.dumps({"midi": events, "shutdown": gone.is_set(), "frames": state["position"]}), flush=True)
    if gone.is_set():
        # The server is gone: closing the client would only talk to a dead socket.
        os._exit(0)
    client.deactivate()
    client.close()


if __name__ == "__main__":
    main()
