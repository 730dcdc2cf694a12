#!/usr/bin/env python3
"""Times asynchronous OSC commands: sends each MESSAGE, waits for the /hal/done or /hal/fail that names its
address, and prints one JSON line per message: {"address", "reply", "args", "ms"} (ms from send to answer).

usage: osc_timed.py PORT [--gap SECONDS] [--timeout SECONDS] MESSAGE [MESSAGE ...]
MESSAGE is ADDRESS[,arg,arg...] with args typed as in osc_peer.py (i:12 f:0.5 s:text).
"""
import json
import socket
import sys
import time

from pythonosc.osc_packet import OscPacket

from osc_peer import build


def main():
    args = sys.argv[1:]
    port = int(args.pop(0))
    gap, timeout = 0.3, 5.0
    for flag in ("--gap", "--timeout"):
        if flag in args:
            index = args.index(flag)
            value = float(args[index + 1])
            del args[index:index + 2]
            if flag == "--gap":
                gap = value
            else:
                timeout = value
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.01)
    for spec in args:
        message = build(spec)
        sent = time.perf_counter()
        sock.sendto(message.dgram, ("127.0.0.1", port))
        answer = None
        while answer is None and time.perf_counter() - sent < timeout:
            try:
                data, _ = sock.recvfrom(65536)
            except socket.timeout:
                continue
            elapsed = time.perf_counter() - sent
            for item in OscPacket(data).messages:
                reply = item.message
                params = list(reply.params)
                if reply.address in ("/hal/done", "/hal/fail") and params and params[0] == message.address:
                    answer = {"address": message.address, "reply": reply.address, "args": params[1:],
                              "ms": elapsed * 1000}
        print(json.dumps(answer or {"address": message.address, "reply": None, "args": [], "ms": None}),
              flush=True)
        time.sleep(gap)


if __name__ == "__main__":
    main()
