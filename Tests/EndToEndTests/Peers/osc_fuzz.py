#!/usr/bin/env python3
"""Sends hostile OSC to the daemon: random datagrams, malformed OSC (bad padding, type tags, truncation, bad
bundles), and well-formed /hal messages with wrong type tags or arity. Prints counts as JSON.

usage: osc_fuzz.py PORT RANDOM_PACKETS TYPED_MESSAGES [SEED]
"""
import json
import random
import socket
import struct
import sys
import time

from pythonosc import osc_message_builder

ADDRESSES = ["/hal/ping", "/hal/mode", "/hal/param/density", "/hal/param/melody_low", "/hal/notify", "/hal/learn",
             "/hal/model/load", "/hal/model/save", "/hal/midi/channel", "/hal/midi/mpe/zone", "/hal/status",
             "/hal/transport/stop", "/hal/version", "/hal/describe", "/hal/nothing", "/hal/param/"]


def osc_string(text):
    data = text.encode() + b"\0"
    return data + b"\0" * (-len(data) % 4)


def malformed(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    if kind == 1:  # address without terminator or padding
        return b"/hal/ping" + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 10)))
    if kind == 2:  # type tags announcing arguments that are not there
        return osc_string("/hal/param/density") + osc_string("," + "".join(rng.choice("ifsbhdtTFNIcm[]") for _ in range(rng.randrange(1, 12))))
    if kind == 3:  # truncated well-formed message
        data = osc_string("/hal/mode") + osc_string(",s") + osc_string("lead")
        return data[:rng.randrange(1, len(data))]
    if kind == 4:  # bundle with lying element sizes
        inner = osc_string("/hal/ping") + osc_string(",i") + struct.pack(">i", 1)
        return b"#bundle\0" + struct.pack(">Q", 1) + struct.pack(">i", rng.choice([-1, 0, 3, 1 << 30, len(inner) + 9])) + inner
    if kind == 5:  # nested bundles, deep
        data = osc_string("/hal/ping") + osc_string(",")
        for _ in range(rng.randrange(1, 40)):
            data = b"#bundle\0" + struct.pack(">Q", 1) + struct.pack(">i", len(data)) + data
        return data
    if kind == 6:  # blob claiming a huge size
        return osc_string("/hal/ping") + osc_string(",b") + struct.pack(">i", rng.choice([1 << 30, -5, 100000]))
    return osc_string("/hal/" + "".join(rng.choice("abc/#*?[]{}") for _ in range(rng.randrange(1, 30)))) + osc_string(",")


def wrong_types(rng):
    builder = osc_message_builder.OscMessageBuilder(address=rng.choice(ADDRESSES))
    for _ in range(rng.randrange(0, 6)):
        choice = rng.randrange(5)
        if choice == 0:
            builder.add_arg(rng.randrange(-1000, 1000), "i")
        elif choice == 1:
            builder.add_arg(rng.uniform(-1e6, 1e6), "f")
        elif choice == 2:
            builder.add_arg("".join(rng.choice("ab./ ") for _ in range(rng.randrange(0, 12))), "s")
        elif choice == 3:
            builder.add_arg(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9))), "b")
        else:
            builder.add_arg(True)
    return builder.build().dgram


def main():
    port, random_count, typed_count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sent = 0
    start = time.time()
    for index in range(random_count + typed_count):
        packet = malformed(rng) if index < random_count else wrong_types(rng)
        while True:
            try:
                sock.sendto(packet, ("127.0.0.1", port))
                break
            except BlockingIOError:
                time.sleep(0.0005)
        sent += 1
        if sent % 100 == 0:
            time.sleep(0.004)  # let the daemon's socket buffer drain: packets the kernel drops test nothing
        try:
            while sock.recv(65536):
                pass
        except BlockingIOError:
            pass
    print(json.dumps({"sent": sent, "seconds": round(time.time() - start, 2)}))


if __name__ == "__main__":
    main()
