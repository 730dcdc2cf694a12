// libsndfile: decoding and encoding of WAV, FLAC, OGG, MP3, AIFF and more.
#pragma once
#include <sndfile.h>
