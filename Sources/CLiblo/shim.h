// liblo (OSC). lo_send and lo_message_add are variadic macros: callers build messages with
// lo_message_new + lo_message_add_<type> and send them with lo_send_message[_from].
#pragma once
#include <lo/lo.h>
