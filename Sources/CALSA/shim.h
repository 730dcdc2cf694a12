// ALSA PCM and sequencer. The snd_seq_ev_* setters are macros; later adapters wrap what they need here.
#pragma once
#include <alsa/asoundlib.h>
