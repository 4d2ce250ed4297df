/*
 * vouch service — what the three files of the audit log share (audit.h
 * is the interface): audit.c builds entries, audit_list.c stores and
 * lists them, audit_sink.c writes the file sink.
 */
#ifndef VOUCH_AUDIT_INTERNAL_H
#define VOUCH_AUDIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "audit.h"
#include "vutil_error.h"

#define AUDIT_TYPE "type.googleapis.com/google.cloud.audit.AuditLog"
#define LABEL_DECISION "binaryauthorization.googleapis.com/decision"
#define LABEL_DRY_RUN "binaryauthorization.googleapis.com/dry-run"
#define LABEL_BREAK_GLASS "binaryauthorization.googleapis.com/break-glass"

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

/* The timestamp (`ts`, TS_LEN + 1 bytes) and insertId (`id`,
 * VOUCH_AUDIT_INSERT_ID_MAX + 1 bytes) of a new entry: the given ones,
 * checked, or now and a random one. */
int vouch__audit_entry_ids(const char *timestamp, const char *insert_id,
                           char *ts, char *id, vouch_error *err);

/* What every enforcement event needs (project, location, methodName, a
 * service and revision or a job), the decision aside. */
int vouch__audit_check_run_target(const vouch_audit_run_event *ev,
                                  vouch_error *err);

/* The resource of an enforcement entry (cloud_run_revision or
 * cloud_run_job, with its labels), and the v2 name of what the event is
 * about; NULL when out of memory. */
json_t *vouch__audit_run_resource(const vouch_audit_run_event *ev);
char *vouch__audit_run_resource_name(const vouch_audit_run_event *ev);

/* An entry that could not be built: VOUCH_ENOMEM, saying so. */
int vouch__audit_build_failed(vouch_error *err);

#endif /* VOUCH_AUDIT_INTERNAL_H */
