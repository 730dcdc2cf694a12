// FFTW 3, single precision (libfftw3f). Plans are made once, off the audio path; execution is thread-safe.
#pragma once
#include <fftw3.h>
