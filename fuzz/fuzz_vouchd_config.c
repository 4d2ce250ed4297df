/*
 * libFuzzer target for vouchd's --config FILE parser (src/daemon/flags.c)
 * over vouchd's real flag table (src/daemon/options.c), so every kind of
 * value (counts, sizes, durations, choices, lists, paths) is reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vouchd_options opts;
    char err[512];
    /* A copy of exactly `size` bytes, so ASan flags any over-read. */
    char *copy = malloc(size > 0 ? size : 1);
    int rc;

    if (copy == NULL) {
        return 0;
    }
    if (size > 0) {
        memcpy(copy, data, size);
    }
    vouchd_options_init(&opts);
    rc = flags_read_config(&opts.parse, copy, size, "fuzz.conf", err,
                           sizeof(err));
    free(copy);
    if (rc != 0 && strncmp(err, "fuzz.conf:", 10) != 0) {
        abort();    /* every error names the file */
    }
    if (rc == 0 && opts.registry_insecure.count > 32) {
        abort();
    }
    vouchd_options_free(&opts);
    return 0;
}
