#!/usr/bin/env python3
"""Talks to the daemon over OSC 1.0 TCP (length-prefixed frames) with python-osc; prints replies as JSON lines.

usage: osc_tcp_peer.py PORT ADDRESS[,s:arg,...] ...
"""
import json
import sys

from pythonosc.tcp_client import SimpleTCPClient


def main():
    port = int(sys.argv[1])
    client = SimpleTCPClient("127.0.0.1", port, mode="1.0")
    for spec in sys.argv[2:]:
        address, *args = spec.split(",")
        values = [int(a[2:]) if a.startswith("i:") else float(a[2:]) if a.startswith("f:") else a[2:] for a in args]
        client.send_message(address, values)
        for message in client.get_messages(timeout=2):
            print(json.dumps({"address": message.address, "args": list(message.params)}), flush=True)
    client.close()


if __name__ == "__main__":
    main()
