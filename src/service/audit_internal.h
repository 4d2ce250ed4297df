/*
 * vouch service — what the three files of the audit log share (audit.h
 * is the interface): audit.c builds entries, audit_list.c stores and
 * lists them, audit_sink.c writes the file sink.
 */
#ifndef VOUCH_AUDIT_INTERNAL_H
#define VOUCH_AUDIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "vutil_error.h"

#define SRC_AUDIT "audit"
#define SRC_BODY "request body"
#define TS_LEN 27               /* 2026-11-29T12:00:00.123456Z */

/* Exactly "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", a valid instant. */
bool vouch__audit_time_ok(const char *s);

/* 1..max characters of [A-Za-z0-9._-] (and '~' when `tilde`). */
bool vouch__audit_id_slice(const char *s, size_t len, size_t max,
                           bool tilde);

/* The same for a NUL-terminated `s` (NULL: false). */
bool vouch__audit_id(const char *s, size_t max, bool tilde);

#endif /* VOUCH_AUDIT_INTERNAL_H */
