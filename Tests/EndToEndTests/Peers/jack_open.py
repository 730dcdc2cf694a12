"""Opening a JACK client for the test peers.

Several dummy servers run side by side during the suite, and one test kills its server on purpose; all of them
share JACK's shared-memory registry, so a client can be refused for a moment ("server_error") while another
server starts or dies. A peer retries for a few seconds before giving up, as a performer's synth would.
"""
import time

import jack


def open_client(name, server, seconds=3.0):
    deadline = time.time() + seconds
    while True:
        try:
            return jack.Client(name, servername=server, no_start_server=True)
        except jack.JackOpenError:
            if time.time() >= deadline:
                raise
            time.sleep(0.1)
