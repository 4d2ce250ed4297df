/*
 * Shared between the files of src/k8s only.
 */
#ifndef VOUCH_K8S_INTERNAL_H
#define VOUCH_K8S_INTERNAL_H

#include <stdarg.h>

#include "vk8s.h"

/*
 * Fill `err` with `code` and "PREFIX.PATH: message" (the parts that are
 * empty left out) and return `code`.
 */
int vk8s__fail(vouch_error *err, int code, const char *prefix,
               const vk8s_where *where, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Fill `err` with `code` and the message alone; returns `code`. */
#define vk8s__error(err, code, ...) \
    vk8s__fail((err), (code), NULL, NULL, __VA_ARGS__)

/* The string at `key` of object `obj`: `*out` borrowed, NULL when absent
 * or null. Anything but a string fails as "PATH.key: expected a string". */
int vk8s__string(const json_t *obj, const char *key, const char **out,
                 const char *prefix, vk8s_where *where, vouch_error *err);

/* The JSON kind of `v` for messages: "a number", "an array", ... */
const char *vk8s__json_kind(const json_t *v);

#endif /* VOUCH_K8S_INTERNAL_H */
