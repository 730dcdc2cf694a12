// JACK 2. jack_client_open is variadic: this wrapper passes the server name when one is given and never
// starts a server on its own.
#pragma once
#include <jack/jack.h>
#include <jack/midiport.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline jack_client_t *musichal_jack_client_open(const char *name, const char *server_name,
                                                        jack_status_t *status) {
    if (server_name != NULL && server_name[0] != '\0') {
        return jack_client_open(name, (jack_options_t)(JackNoStartServer | JackServerName), status, server_name);
    }
    return jack_client_open(name, JackNoStartServer, status);
}

// The calling thread's kernel id (gettid is not visible to Swift; syscall is variadic).
static inline int musichal_thread_id(void) { return (int)syscall(SYS_gettid); }
