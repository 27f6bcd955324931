/* Polls stdin: first with a 100 ms timeout while no input has come (the
 * poll times out), then without one until a line arrives, which it
 * echoes. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    int r = poll(&p, 1, 100);
    printf("first poll: %d\n", r);
    fflush(stdout);
    p.revents = 0;
    r = poll(&p, 1, -1);
    printf("second poll: %d readable=%d\n", r, (p.revents & POLLIN) != 0);
    char buf[64] = {0};
    ssize_t n = read(0, buf, sizeof buf - 1);
    printf("read %zd: %s", n, buf);
    return 0;
}
