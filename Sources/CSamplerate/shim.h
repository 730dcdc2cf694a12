// libsamplerate (Secret Rabbit Code) sample-rate conversion.
#pragma once
#include <samplerate.h>
