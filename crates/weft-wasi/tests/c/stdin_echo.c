/* Copies stdin to stdout in upper case, then reports the byte count. */
#include <ctype.h>
#include <stdio.h>

int main(void) {
    int c;
    long count = 0;
    while ((c = getchar()) != EOF) {
        putchar(toupper(c));
        count++;
    }
    printf("%ld bytes\n", count);
    return 0;
}
