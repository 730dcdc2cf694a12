#!/usr/bin/env bash
# Installs what MusicHal needs on Debian 12 (bookworm): the C libraries it links, the tools its tests drive,
# and, with --with-test-tools, the Python packages the tests use as real peers.
# The Swift toolchain (6.2 or later, from swift.org) must already be on PATH.
set -euo pipefail

with_test_tools=0
for argument in "$@"; do
    case "$argument" in
        --with-test-tools) with_test_tools=1 ;;
        *) echo "usage: $0 [--with-test-tools]" >&2; exit 2 ;;
    esac
done

if [ "$(id -u)" -ne 0 ]; then
    exec sudo --preserve-env=PATH "$0" "$@"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    pkg-config \
    liblo-dev liblo-tools \
    libjack-jackd2-dev jackd2 \
    libasound2-dev alsa-utils libasound2-plugins \
    libsystemd-dev systemd \
    libopenblas-dev \
    libsndfile1-dev libfftw3-dev libsamplerate0-dev \
    python3 python3-pip >/dev/null

if [ "$with_test_tools" -eq 1 ]; then
    # Test peers: an OSC client and a JACK client in Python (used by the daemon's integration tests).
    python3 -m pip install -q --disable-pip-version-check python-osc JACK-Client numpy 2>/dev/null \
        || python3 -m pip install -q --disable-pip-version-check --break-system-packages python-osc JACK-Client numpy
fi
echo "MusicHal dependencies installed."
