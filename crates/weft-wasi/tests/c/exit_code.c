/* Exits with the status given as its first argument (via proc_exit),
 * after printing a line that must still reach stdout. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int status = argc > 1 ? atoi(argv[1]) : 3;
    printf("exiting with %d\n", status);
    exit(status);
}
