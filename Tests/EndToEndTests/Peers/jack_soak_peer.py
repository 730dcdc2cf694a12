#!/usr/bin/env python3
"""The soak test's musician, controller and synth, on one JACK client `soak` (the daemon connects `soak:out` to
its input and its MIDI output to `soak:midi_in` by pattern).

Plays AUDIO_SECONDS of generated melody with the server freewheeling, records the daemon's MIDI with server frame
times, and every --osc-every frames of that audio (4800 = 100 ms at 48 kHz) sends the daemon one parameter change
and one mode change over OSC, from the process callback, so the pace follows the audio clock however fast the
server runs. Then it leaves freewheel, sends each parameter's last value once more, stops the daemon's
transport, records half a second more, and prints one JSON object. On stderr: READY once the daemon is connected, FREEWHEEL as it starts, WARM once --warm-up seconds
of audio have played (the test samples the daemon's memory then), and DONE when the audio has played.

usage: jack_soak_peer.py SERVER OSC_PORT AUDIO_SECONDS [--warm-up SECONDS] [--osc-every FRAMES] [--max-wall S]
"""
import json
import socket
import sys
import threading
import time

import jack

from jack_open import open_client
import numpy as np
from pythonosc import osc_message_builder

MODES = ["imitate", "contrast", "lead", "auto", "imitate", "lead", "contrast", "listen"]
PARAMETERS = {  # name: (low, high, integer)
    "density": (0.3, 1.0, False),
    "temperature": (0.3, 2.0, False),
    "continuity": (0.0, 1.0, False),
    "give_space": (0.0, 0.6, False),
    "initiative": (0.0, 1.0, False),
    "transposition": (-5, 5, True),
}


def option(name, default):
    return type(default)(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def tune(rate, seconds, seed):
    """A melody of `seconds`: notes of G major between D4 and A5, 0.12-0.5 s long, 0.15-0.6 s apart, with
    harmonics and a sharp attack, and now and then a rest; the soak loops it."""
    rng = np.random.default_rng(seed)
    scale = [62, 64, 66, 67, 69, 71, 72, 74, 76, 78, 79, 81]
    signal = np.zeros(int(seconds * rate), dtype=np.float32)
    start = int(0.2 * rate)
    while True:
        length = int(rng.uniform(0.12, 0.5) * rate)
        if start + length >= len(signal):
            break
        f0 = 440 * 2 ** ((scale[rng.integers(len(scale))] - 69) / 12)
        n = np.arange(length)
        envelope = np.minimum(n / (0.002 * rate), 1) * np.exp(-5 * n / rate)
        envelope *= np.clip((length - n) / (0.02 * rate), 0, 1)
        tone = sum(np.sin(2 * np.pi * k * f0 * n / rate) / k for k in range(1, 5))
        signal[start:start + length] += (0.35 * envelope * tone).astype(np.float32)
        start += int(rng.uniform(0.15, 0.6) * rate) + (int(rate) if rng.random() < 0.05 else 0)
    return signal


def controls(count, seed):
    """`count` pairs of datagrams: a parameter change and a mode change."""
    rng = np.random.default_rng(seed)
    names = list(PARAMETERS)
    pairs = []
    for index in range(count):
        name = names[index % len(names)]
        low, high, integer = PARAMETERS[name]
        value = int(rng.integers(low, high + 1)) if integer else float(rng.uniform(low, high))
        parameter = osc_message_builder.OscMessageBuilder(address=f"/hal/param/{name}")
        parameter.add_arg(value, "i" if integer else "f")
        mode = osc_message_builder.OscMessageBuilder(address="/hal/mode")
        mode.add_arg(MODES[index % len(MODES)], "s")
        pairs.append((parameter.build().dgram, mode.build().dgram, name, value))
    return pairs


def main():
    server, osc_port, audio_seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    warm_up = option("--warm-up", 60.0)
    osc_every = option("--osc-every", 4800)
    max_wall = option("--max-wall", 600.0)
    client = open_client("soak", server)
    out = client.outports.register("out")
    midi_in = client.midi_inports.register("midi_in")
    rate, blocksize = client.samplerate, client.blocksize
    target = int(audio_seconds * rate)
    signal = tune(rate, 61, seed=11)
    pairs = controls(997, seed=12)  # a prime, so parameters and modes meet in ever new combinations
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    received = []
    state = {"playing": False, "played": 0, "position": 0, "sent": 0, "last": {}, "last_dgram": {}, "first_frame": None}

    @client.set_process_callback
    def process(frames):
        buffer = out.get_array()
        played = state["played"]
        if state["playing"] and played < target:
            if state["first_frame"] is None:
                state["first_frame"] = client.last_frame_time
            position = state["position"]
            chunk = signal[position:position + frames]
            buffer[:len(chunk)] = chunk
            if len(chunk) < frames:
                buffer[len(chunk):] = signal[:frames - len(chunk)]
            state["position"] = (position + frames) % len(signal)
            # One parameter and one mode change each time the audio passes a multiple of `osc_every` frames.
            while state["sent"] * osc_every <= played:
                parameter, mode, name, value = pairs[state["sent"] % len(pairs)]
                sock.sendto(parameter, ("127.0.0.1", osc_port))
                sock.sendto(mode, ("127.0.0.1", osc_port))
                state["last"][name] = value
                state["last_dgram"][name] = parameter
                state["sent"] += 1
            state["played"] = played + frames
        else:
            buffer[:] = 0
        base = client.last_frame_time
        for offset, data in midi_in.incoming_midi_events():
            received.append([base + offset] + list(bytes(data)))

    client.activate()
    deadline = time.time() + 20
    while time.time() < deadline:
        if client.get_all_connections(out) and client.get_all_connections(midi_in):
            break
        time.sleep(0.02)
    print("READY", file=sys.stderr, flush=True)
    time.sleep(0.3)
    started = time.time()
    state["playing"] = True
    client.set_freewheel(True)
    print("FREEWHEEL", file=sys.stderr, flush=True)
    warm = False
    while state["played"] < target and time.time() - started < max_wall:
        if not warm and state["played"] >= warm_up * rate:
            warm = True
            print(f"WARM {state['played']}", file=sys.stderr, flush=True)
        time.sleep(0.01)
    client.set_freewheel(False)
    wall = time.time() - started
    print("DONE", file=sys.stderr, flush=True)
    time.sleep(0.2)
    # The last value of each parameter once more, unhurried: UDP on a loaded machine may have lost the original.
    for parameter in state["last_dgram"].values():
        sock.sendto(parameter, ("127.0.0.1", osc_port))
        time.sleep(0.02)
    stop = osc_message_builder.OscMessageBuilder(address="/hal/transport/stop").build()
    sock.sendto(stop.dgram, ("127.0.0.1", osc_port))
    time.sleep(0.5)
    client.deactivate()
    events = list(received)
    client.close()
    print(json.dumps({
        "rate": rate, "blocksize": blocksize, "played": state["played"], "wall_seconds": wall,
        "osc_ticks": state["sent"], "last_parameters": state["last"], "first_frame": state["first_frame"],
        "midi": events,
    }), flush=True)


if __name__ == "__main__":
    main()
