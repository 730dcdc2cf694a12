#!/usr/bin/env python3
"""Records MIDI on a JACK server for SECONDS as client `recorder` (port `recorder:midi_in`), then prints the
events as JSON [[frame, byte, ...], ...]. Prints READY on stderr once its port exists.

usage: jack_record.py SERVER SECONDS
"""
import json
import sys
import threading
import time

import jack

from jack_open import open_client


def main():
    server, seconds = sys.argv[1], float(sys.argv[2])
    client = open_client("recorder", server)
    port = client.midi_inports.register("midi_in")
    events = []
    lock = threading.Lock()

    @client.set_process_callback
    def process(frames):
        base = client.last_frame_time
        for offset, data in port.incoming_midi_events():
            with lock:
                events.append([base + offset] + list(bytes(data)))

    with client:
        print("READY", file=sys.stderr, flush=True)
        time.sleep(seconds)
        with lock:
            recorded = list(events)
    print(json.dumps(recorded))


if __name__ == "__main__":
    main()
