/* Tries to leave the preopened directory: through `..`, an absolute path,
 * and symbolic links pointing outside. Each must be refused; a link that
 * stays inside must work. Uses both libc and the raw WASI call, so the
 * host is tested even if libc refused first. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static int failures = 0;

/* The preopened directory is fd 3 (the only preopen). */
static void refused_raw(const char *path) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0,
                                        __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    int ok = e == __WASI_ERRNO_NOTCAPABLE || e == __WASI_ERRNO_PERM || e == __WASI_ERRNO_ACCES;
    printf("%s raw %s -> errno %d\n", ok ? "refused" : "ESCAPED", path, e);
    if (!ok) failures++;
}

static void refused_libc(const char *path) {
    int fd = open(path, O_RDONLY);
    int ok = fd < 0 && (errno == ENOTCAPABLE || errno == EPERM || errno == EACCES || errno == ENOENT);
    printf("%s libc %s\n", ok ? "refused" : "ESCAPED", path);
    if (!ok) failures++;
}

int main(void) {
    refused_raw("../secret.txt");
    refused_raw("sub/../../secret.txt");
    refused_raw("/etc/passwd");
    refused_raw("link_out_abs");
    refused_raw("link_out_rel");
    refused_raw("link_out_abs/..");
    refused_libc("../secret.txt");
    refused_libc("link_out_abs");
    refused_libc("link_out_rel");

    /* A link that stays inside resolves. */
    char buf[64] = {0};
    int fd = open("link_in", O_RDONLY);
    if (fd >= 0 && read(fd, buf, sizeof buf - 1) > 0 && strcmp(buf, "inside\n") == 0) {
        printf("ok link_in\n");
    } else {
        printf("FAIL link_in errno=%d\n", errno);
        failures++;
    }
    /* Reading the link itself is allowed. */
    ssize_t n = readlink("link_in", buf, sizeof buf - 1);
    printf("%s readlink link_in\n", n == 10 && memcmp(buf, "inside.txt", 10) == 0 ? "ok" : "FAIL");
    /* Creating a symlink to an absolute path is refused. */
    int r = symlink("/etc/passwd", "new_abs_link");
    printf("%s symlink to absolute\n", r != 0 ? "refused" : "ESCAPED");
    if (r == 0) failures++;
    printf("%s\n", failures ? "FAILED" : "all refused");
    return failures ? 1 : 0;
}
