// liblo (OSC). lo_send and lo_message_add are variadic macros: callers build messages with
// lo_message_new + lo_message_add_<type> and send them with lo_send_message[_from].
#pragma once
#include <lo/lo.h>

// LO_TT_IMMEDIATE is a compound-literal macro Swift cannot import.
static inline lo_timetag musichal_lo_immediate(void) {
    lo_timetag t = {0U, 1U};
    return t;
}
