#!/usr/bin/env python3
"""A JACK peer for the fault test: the musician and the synth for one server lifetime.

Joins SERVER as client `peer`, plays a looping melody on `peer:out` and records the MIDI arriving at
`peer:midi_in` (the daemon connects both by pattern), until the server goes away, its standard input closes, or
SECONDS pass. With --wait-for-server it prints WAITING and keeps trying to join until the server is up (so it
joins within milliseconds of the server's start). On stderr it prints READY once its ports exist and, once after
--sounding-after seconds of playing, SOUNDING at a moment when a note it heard is still down (so the test can
kill the server mid-note). On stdout, at the end, one JSON object:
{"midi": [[frame, byte, ...], ...], "shutdown": true when the server went away, "frames": frames played}.

usage: jack_fault_peer.py SERVER SECONDS [--sounding-after SECONDS] [--wait-for-server SECONDS]
"""
import json
import os
import sys
import threading
import time

import jack
import numpy as np

from jack_peer import melody


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def join(server, wait):
    """The client, once SERVER accepts it; retries every 2 ms for up to `wait` seconds (quietly: libjack
    complains on every refused attempt)."""
    if wait <= 0:
        return jack.Client("peer", servername=server, no_start_server=True)
    jack.set_error_function(lambda message: None)
    print("WAITING", file=sys.stderr, flush=True)
    deadline = time.time() + wait
    while True:
        try:
            client = jack.Client("peer", servername=server, no_start_server=True)
            jack.set_error_function(None)
            return client
        except jack.JackOpenError:
            if time.time() >= deadline:
                raise
            time.sleep(0.002)


def main():
    server, seconds = sys.argv[1], float(sys.argv[2])
    sounding_after = float(option("--sounding-after", "1.0"))
    client = join(server, float(option("--wait-for-server", "0")))
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
