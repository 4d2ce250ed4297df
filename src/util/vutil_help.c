/*
 * The --help layout of vouch and vouchd (vutil_help.h): one wrapping rule,
 * so the two programs' help cannot drift apart.
 */
#include <stdio.h>
#include <string.h>

#include "vutil_help.h"

size_t vutil_help_words(const char *text, size_t len, size_t col,
                        size_t indent, bool space)
{
    size_t at = 0;

    while (at < len) {
        size_t word = 0;

        while (at + word < len && text[at + word] != ' ') {
            word++;
        }
        if (word > 0) {
            if (col > indent && col + 1 + word > VUTIL_HELP_WIDTH) {
                printf("\n%*s", (int)indent, "");
                col = indent;
            } else if (space) {
                putchar(' ');
                col++;
            }
            printf("%.*s", (int)word, text + at);
            col += word;
            space = true;
        }
        at += word + 1;
    }
    return col;
}

size_t vutil_help_item(const char *item, size_t col, size_t indent)
{
    if (col + 1 + strlen(item) > VUTIL_HELP_WIDTH) {
        printf("\n%*s", (int)indent, "");
        col = indent;
    }
    return col + (size_t)printf(" %s", item);
}

void vutil_help_flag(const char *usage)
{
    size_t col = (size_t)printf("  %s", usage);

    if (col + 2 > VUTIL_HELP_COLUMN) {
        printf("\n");
        col = 0;
    }
    printf("%*s", (int)(VUTIL_HELP_COLUMN - col), "");
}
