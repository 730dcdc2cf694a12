// ALSA PCM and sequencer. The snd_seq_ev_* setters are macros and the error handler type is variadic: these
// static inline wrappers make them callable from Swift. They hold no logic beyond the macro they wrap.
#pragma once
#include <alsa/asoundlib.h>
#include <string.h>

// An error handler that prints nothing: the adapter reports errors from return codes instead of stderr.
static void musichal_alsa_discard_error(const char *file, int line, const char *function, int err,
                                        const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

// Silences alsa-lib's default stderr error printing for the whole process.
static inline void musichal_alsa_silence_errors(void) { snd_lib_error_set_handler(musichal_alsa_discard_error); }

static inline void musichal_seq_ev_clear(snd_seq_event_t *ev) { snd_seq_ev_clear(ev); }
static inline void musichal_seq_ev_set_source(snd_seq_event_t *ev, int port) { snd_seq_ev_set_source(ev, port); }
static inline void musichal_seq_ev_set_subs(snd_seq_event_t *ev) { snd_seq_ev_set_subs(ev); }
static inline void musichal_seq_ev_set_direct(snd_seq_event_t *ev) { snd_seq_ev_set_direct(ev); }

static inline void musichal_seq_ev_schedule_real(snd_seq_event_t *ev, int queue, int relative,
                                                 const snd_seq_real_time_t *time) {
    snd_seq_ev_schedule_real(ev, queue, relative, time);
}

static inline void musichal_seq_ev_set_noteon(snd_seq_event_t *ev, int channel, int key, int velocity) {
    snd_seq_ev_set_noteon(ev, channel, key, velocity);
}

static inline void musichal_seq_ev_set_noteoff(snd_seq_event_t *ev, int channel, int key, int velocity) {
    snd_seq_ev_set_noteoff(ev, channel, key, velocity);
}

static inline void musichal_seq_ev_set_controller(snd_seq_event_t *ev, int channel, int controller, int value) {
    snd_seq_ev_set_controller(ev, channel, controller, value);
}

static inline void musichal_seq_ev_set_pgmchange(snd_seq_event_t *ev, int channel, int program) {
    snd_seq_ev_set_pgmchange(ev, channel, program);
}

static inline void musichal_seq_ev_set_pitchbend(snd_seq_event_t *ev, int channel, int value) {
    snd_seq_ev_set_pitchbend(ev, channel, value);
}

static inline void musichal_seq_ev_set_chanpress(snd_seq_event_t *ev, int channel, int pressure) {
    snd_seq_ev_set_chanpress(ev, channel, pressure);
}

static inline int musichal_seq_start_queue(snd_seq_t *seq, int queue) {
    return snd_seq_start_queue(seq, queue, NULL);
}
