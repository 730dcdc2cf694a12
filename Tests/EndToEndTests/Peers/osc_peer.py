#!/usr/bin/env python3
"""A python-osc peer for the daemon tests: sends messages or bundles and prints what comes back as JSON lines.

usage: osc_peer.py PORT [--bundle] [--wait SECONDS] MESSAGE [MESSAGE ...]
MESSAGE is ADDRESS[,arg,arg...] with args typed by prefix: i:12 f:0.5 s:text T F
"""
import json
import socket
import sys
import time

from pythonosc import osc_bundle_builder, osc_message_builder
from pythonosc.osc_packet import OscPacket


def build(spec):
    address, *args = spec.split(",")
    builder = osc_message_builder.OscMessageBuilder(address=address)
    for arg in args:
        kind, _, value = arg.partition(":")
        if kind == "i":
            builder.add_arg(int(value), "i")
        elif kind == "f":
            builder.add_arg(float(value), "f")
        elif kind == "s":
            builder.add_arg(value, "s")
        elif kind == "T":
            builder.add_arg(True)
        elif kind == "F":
            builder.add_arg(False)
    return builder.build()


def main():
    args = sys.argv[1:]
    port = int(args.pop(0))
    bundle = "--bundle" in args
    if bundle:
        args.remove("--bundle")
    wait = 1.0
    if "--wait" in args:
        index = args.index("--wait")
        wait = float(args[index + 1])
        del args[index:index + 2]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    messages = [build(spec) for spec in args]
    if bundle:
        builder = osc_bundle_builder.OscBundleBuilder(osc_bundle_builder.IMMEDIATELY)
        for message in messages:
            builder.add_content(message)
        sock.sendto(builder.build().dgram, ("127.0.0.1", port))
    else:
        for message in messages:
            sock.sendto(message.dgram, ("127.0.0.1", port))
    sock.settimeout(0.05)
    deadline = time.time() + wait
    while time.time() < deadline:
        try:
            data, _ = sock.recvfrom(65536)
        except socket.timeout:
            continue
        for item in OscPacket(data).messages:
            message = item.message
            print(json.dumps({"address": message.address, "args": list(message.params),
                              "bundle": data.startswith(b"#bundle")}), flush=True)


if __name__ == "__main__":
    main()
