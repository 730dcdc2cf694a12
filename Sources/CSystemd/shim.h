// libsystemd: sd_notify and sd_watchdog_enabled (sd_notifyf is variadic: format strings in Swift instead).
#pragma once
#include <systemd/sd-daemon.h>
