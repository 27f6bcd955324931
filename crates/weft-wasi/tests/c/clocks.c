/* Clocks, sleeping (poll_oneoff) and random bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static int failures = 0;

static void check(int ok, const char *what) {
    printf("%s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) failures++;
}

int main(void) {
    struct timespec a, b, real, res;
    check(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "monotonic");
    usleep(20000); /* poll_oneoff with a relative clock subscription */
    check(clock_gettime(CLOCK_MONOTONIC, &b) == 0, "monotonic again");
    long long elapsed = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    check(elapsed >= 20000000LL, "monotonic advanced by the 20 ms sleep");
    check(clock_gettime(CLOCK_REALTIME, &real) == 0, "realtime");
    /* After 2020-01-01 and before 2200-01-01. */
    check(real.tv_sec > 1577836800LL && real.tv_sec < 7258118400LL, "realtime plausible");
    check(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0,
          "monotonic resolution");
    struct timespec cpu;
    check(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0 && (cpu.tv_sec > 0 || cpu.tv_nsec > 0),
          "process cpu time");

    /* An absolute-time subscription on the monotonic clock. */
    __wasi_timestamp_t now = 0;
    check(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now) == 0, "raw monotonic");
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.userdata = 42;
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.u.clock.timeout = now + 10000000; /* 10 ms */
    sub.u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    __wasi_event_t ev;
    __wasi_size_t nev = 0;
    __wasi_errno_t e = __wasi_poll_oneoff(&sub, &ev, 1, &nev);
    __wasi_timestamp_t after = 0;
    check(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &after) == 0, "raw monotonic again");
    check(e == 0 && nev == 1 && ev.userdata == 42 && ev.type == __WASI_EVENTTYPE_CLOCK &&
              after >= now + 10000000,
          "poll_oneoff absolute timeout");

    /* Random bytes differ between two draws. */
    unsigned char r1[32], r2[32];
    check(getentropy(r1, sizeof r1) == 0 && getentropy(r2, sizeof r2) == 0, "getentropy");
    check(memcmp(r1, r2, sizeof r1) != 0, "random bytes vary");
    printf("%s\n", failures ? "FAILED" : "all passed");
    return failures ? 1 : 0;
}
