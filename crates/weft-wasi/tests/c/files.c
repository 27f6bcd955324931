/* Files in the preopened directory `.`: write, append, read back, seek,
 * stat, rename, mkdir, list (fd_readdir), unlink, rmdir, and the errors of
 * each when misused. Prints one line per check; exits 1 if any failed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;

static void check(int ok, const char *what) {
    printf("%s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) {
        printf("  errno=%d (%s)\n", errno, strerror(errno));
        failures++;
    }
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
    /* Write, then append, then read back the whole file. */
    FILE *f = fopen("out.txt", "w");
    check(f != NULL, "create out.txt");
    if (f == NULL) {
        return 1;
    }
    fputs("first line\n", f);
    fclose(f);
    f = fopen("out.txt", "a");
    fputs("second line\n", f);
    fclose(f);
    char buf[128] = {0};
    f = fopen("out.txt", "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    check(n == 23 && strcmp(buf, "first line\nsecond line\n") == 0, "append and read back");

    /* The input file the host wrote. */
    f = fopen("input.txt", "r");
    check(f != NULL, "open input.txt");
    memset(buf, 0, sizeof buf);
    n = fread(buf, 1, sizeof buf - 1, f);
    check(strcmp(buf, "from the host\n") == 0, "read input.txt");
    /* Seek and tell. */
    check(fseek(f, 5, SEEK_SET) == 0 && ftell(f) == 5, "seek and tell");
    check(fgetc(f) == 't', "read after seek");
    fclose(f);

    /* pread/pwrite at offsets. */
    int fd = open("pio.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    check(fd >= 0, "open pio.bin");
    check(pwrite(fd, "abcdef", 6, 10) == 6, "pwrite at 10");
    char pb[6];
    check(pread(fd, pb, 6, 10) == 6 && memcmp(pb, "abcdef", 6) == 0, "pread at 10");
    struct stat st;
    check(fstat(fd, &st) == 0 && st.st_size == 16 && S_ISREG(st.st_mode), "fstat size 16");
    check(ftruncate(fd, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 3, "ftruncate to 3");
    close(fd);

    /* stat by path, rename, directories. */
    check(stat("out.txt", &st) == 0 && st.st_size == 23, "stat out.txt");
    check(rename("out.txt", "renamed.txt") == 0, "rename");
    check(stat("out.txt", &st) != 0 && errno == ENOENT, "old name gone (ENOENT)");
    check(mkdir("sub", 0755) == 0, "mkdir sub");
    check(mkdir("sub", 0755) != 0 && errno == EEXIST, "mkdir again (EEXIST)");
    f = fopen("sub/inner.txt", "w");
    check(f != NULL, "create sub/inner.txt");
    fclose(f);
    check(rmdir("sub") != 0 && errno == ENOTEMPTY, "rmdir non-empty (ENOTEMPTY)");
    check(open("renamed.txt/x", O_RDONLY) < 0 && errno == ENOTDIR, "file as dir (ENOTDIR)");
    check(open("nothere.txt", O_RDONLY) < 0 && errno == ENOENT, "missing file (ENOENT)");
    check(open("sub", O_WRONLY) < 0 && errno == EISDIR, "write a directory (EISDIR)");
    check(open("renamed.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 && errno == EEXIST,
          "O_EXCL on existing (EEXIST)");

    /* List the directory (fd_readdir). */
    DIR *d = opendir(".");
    check(d != NULL, "opendir .");
    char *names[64];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && count < 64) {
        names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof names[0], cmp);
    printf("listing:");
    for (int i = 0; i < count; i++) {
        printf(" %s", names[i]);
    }
    printf("\n");

    /* Clean up what was made. */
    check(unlink("sub/inner.txt") == 0, "unlink sub/inner.txt");
    check(rmdir("sub") == 0, "rmdir sub");
    check(unlink("renamed.txt") == 0 && unlink("pio.bin") == 0, "unlink files");
    printf("%s\n", failures ? "FAILED" : "all passed");
    return failures ? 1 : 0;
}
