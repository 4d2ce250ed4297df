/*
 * Fuzz vouch_image_ref_parse. A reference that parses must be stable: the
 * normalised string re-parses to itself, and the getters agree with it.
 * Anything else is a bug: abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/image_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const vouch_image_ref *ref)
{
    const char *name = vouch_image_ref_name(ref);
    const char *registry = vouch_image_ref_registry(ref);
    const char *path = vouch_image_ref_path(ref);
    const char *string = vouch_image_ref_string(ref);
    size_t name_len = vouch_image_ref_name_len(ref);
    size_t reg_len = strlen(registry);

    if (strlen(name) != name_len || name_len > 255 ||
        strncmp(string, name, name_len) != 0 ||
        strncmp(name, registry, reg_len) != 0 || name[reg_len] != '/' ||
        strcmp(name + reg_len + 1, path) != 0 || path[0] == '\0') {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vouch_image_ref *ref = NULL;
    vouch_image_ref *again = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    const char *string;

    if (vouch_image_ref_parse(&ref, (const char *)data, size, &err) != 0) {
        if (ref != NULL || err.message[0] == '\0' ||
            (err.code == VOUCH_EPARSE && err.column == 0)) {
            abort();
        }
        return 0;
    }
    check(ref);
    string = vouch_image_ref_string(ref);
    if (vouch_image_ref_parse(&again, string, strlen(string), &err) != 0 ||
        strcmp(vouch_image_ref_string(again), string) != 0) {
        abort();
    }
    check(again);
    vouch_image_ref_free(again);
    vouch_image_ref_free(ref);
    return 0;
}
