#!/usr/bin/env python3
"""Sends one OSC message many times, as fast as the daemon drains it, and counts the replies by address.
Prints JSON: {"sent": N, "replies": {"/hal/fail": k, ...}, "busy": b}.

usage: osc_flood.py PORT COUNT ADDRESS [s:TEXT|i:INT|f:FLOAT ...]
"""
import json
import socket
import sys
import time

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder


def main():
    port, count, address = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    builder = OscMessageBuilder(address=address)
    for argument in sys.argv[4:]:
        kind, value = argument.split(":", 1)
        builder.add_arg(int(value) if kind == "i" else float(value) if kind == "f" else value)
    packet = builder.build().dgram
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Thousands of replies can arrive while this process waits for a core: a large receive buffer keeps the count
    # about the daemon, not about this peer's default 200 kB buffer (forced past rmem_max when allowed).
    try:
        sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 16 << 20)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    replies, busy = {}, 0

    def drain():
        nonlocal busy
        while True:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                return
            if data.startswith(b"#bundle"):
                replies["bundle"] = replies.get("bundle", 0) + 1
                continue
            message = OscMessage(data)
            replies[message.address] = replies.get(message.address, 0) + 1
            if message.address == "/hal/fail" and "busy" in str(message.params[1]):
                busy += 1

    for index in range(count):
        sock.sendto(packet, ("127.0.0.1", port))
        if index % 50 == 0:
            time.sleep(0.002)
            drain()
    deadline = time.time() + 3
    while time.time() < deadline:
        drain()
        time.sleep(0.05)
    print(json.dumps({"sent": count, "replies": replies, "busy": busy}))


if __name__ == "__main__":
    main()
