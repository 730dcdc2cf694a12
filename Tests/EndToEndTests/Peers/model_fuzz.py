#!/usr/bin/env python3
"""Writes mutated copies of a real model into the models directory and asks the daemon to load each; prints
one JSON object with how each load was answered.

Mutations: truncation, bit flips, lengths and counts overwritten (checksum recomputed, so the structure checks
must catch them), other format versions, garbage and empty files.
usage: model_fuzz.py PORT MODELS_DIR BASE_MODEL_NAME COUNT [SEED]
"""
import json
import os
import random
import socket
import struct
import sys
import zlib

from pythonosc import osc_message_builder
from pythonosc.osc_packet import OscPacket


def sections(data):
    # Header: magic (8), version (4), flags (4), section count (4); sections follow.
    offset, found = 20, {}
    count = struct.unpack_from("<I", data, 16)[0]
    for _ in range(count):
        tag = data[offset:offset + 4].decode("ascii", "replace")
        length = struct.unpack_from("<Q", data, offset + 4)[0]
        found[tag] = offset + 12
        offset += 12 + length
    return found


def with_crc(body):
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def mutate(original, rng):
    body = original[:-4]
    places = sections(original)
    kind = rng.randrange(6)
    if kind == 0:
        return "truncate", original[:rng.randrange(0, len(original))]
    if kind == 1:
        data = bytearray(original)
        for _ in range(rng.randrange(1, 9)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return "bit flips", bytes(data)
    if kind == 2:  # a section length or count overwritten, checksum fixed
        data = bytearray(body)
        field = rng.choice([16, places["META"] - 8, places["EVNT"] - 8, places["EVNT"], places["EVNT"] + 4,
                            places["ORCL"] - 8, places["ORCL"], places["ORCL"] + 12])
        width = 8 if field in (places["META"] - 8, places["EVNT"] - 8, places["ORCL"] - 8) else 4
        value = rng.choice([0, 1, 2, 0xFFFFFFFF, 0x7FFFFFFF, rng.randrange(1 << 20)])
        old = int.from_bytes(data[field:field + width], "little")
        if value == old:
            value = old + 1
        data[field:field + width] = value.to_bytes(width, "little")
        return "bad length", with_crc(bytes(data))
    if kind == 3:
        version = rng.choice([0, 2, 3, 255, 0xFFFFFFFF])
        data = bytearray(body)
        data[8:12] = struct.pack("<I", version)
        return "other version", with_crc(bytes(data)) if rng.random() < 0.5 else bytes(data) + original[-4:]
    if kind == 4:
        return "garbage", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4096)))
    return "empty", b""


def ask(sock, port, address, name):
    message = osc_message_builder.OscMessageBuilder(address=address)
    message.add_arg(name, "s")
    sock.sendto(message.build().dgram, ("127.0.0.1", port))
    while True:
        data, _ = sock.recvfrom(65536)
        for item in OscPacket(data).messages:
            if item.message.address in ("/hal/done", "/hal/fail"):
                return item.message.address, [str(a) for a in item.message.params]


def main():
    port, directory, base, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 2)
    original = open(os.path.join(directory, base + ".halmodel"), "rb").read()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    results = {"failed": 0, "loaded": 0, "kinds": {}, "messages": [], "loaded_kinds": []}
    for index in range(count):
        kind, data = mutate(original, rng)
        name = f"fuzz-{index}"
        path = os.path.join(directory, name + ".halmodel")
        with open(path, "wb") as f:
            f.write(data)
        reply, args = ask(sock, port, "/hal/model/load", name)
        os.unlink(path)
        results["kinds"][kind] = results["kinds"].get(kind, 0) + 1
        if reply == "/hal/fail":
            results["failed"] += 1
            if len(results["messages"]) < 12:
                results["messages"].append(args[1])
        else:
            results["loaded"] += 1
            results["loaded_kinds"].append(kind)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
