// RealtimeSanitizer scope markers. The RTSan runtime defines these symbols only when it is linked (the RTSan
// CI job links libclang_rt.rtsan); otherwise the weak references are null and the markers do nothing.
#pragma once

void __rtsan_realtime_enter(void) __attribute__((weak));
void __rtsan_realtime_exit(void) __attribute__((weak));

/// Marks the start of real-time code: any allocation, lock, sleep or I/O until rt_scope_end is reported.
static inline void rt_scope_begin(void) {
    if (__rtsan_realtime_enter) __rtsan_realtime_enter();
}

/// Marks the end of real-time code.
static inline void rt_scope_end(void) {
    if (__rtsan_realtime_exit) __rtsan_realtime_exit();
}

/// True when the RealtimeSanitizer runtime is linked into this process.
static inline int rt_check_active(void) { return __rtsan_realtime_enter != 0; }
