/*
 * vouch util — the layout of --help text, shared by both programs (vouch
 * and vouchd) so that their help reads alike: lines of at most
 * VUTIL_HELP_WIDTH columns, usage synopses wrapped item by item, and each
 * flag's help starting at VUTIL_HELP_COLUMN. Everything prints to stdout.
 */
#ifndef VUTIL_HELP_H
#define VUTIL_HELP_H

#include <stdbool.h>
#include <stddef.h>

#define VUTIL_HELP_WIDTH 79
#define VUTIL_HELP_COLUMN 32

/*
 * Print the words of the `len` bytes of `text` (separated by blanks) from
 * column `col`, wrapped at VUTIL_HELP_WIDTH with continuation lines
 * indented by `indent`; `space` puts a blank before the first word.
 * Returns the column after it.
 */
size_t vutil_help_words(const char *text, size_t len, size_t col,
                        size_t indent, bool space);

/*
 * Print " ITEM" on a usage line at column `col`, first breaking to a new
 * line indented by `indent` when the item would pass VUTIL_HELP_WIDTH (an
 * item is never split). Returns the column after it.
 */
size_t vutil_help_item(const char *item, size_t col, size_t indent);

/*
 * Start the help line of a flag: "  USAGE", then blanks up to
 * VUTIL_HELP_COLUMN (USAGE that reaches it gets a line of its own). The
 * flag's help follows with vutil_help_words() from VUTIL_HELP_COLUMN.
 */
void vutil_help_flag(const char *usage);

#endif /* VUTIL_HELP_H */
