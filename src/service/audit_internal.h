/*
 * vouch service — what the files of the audit log share (audit.h is the
 * interface): audit.c (and audit_k8s.c, audit_cv.c, audit_failed.c)
 * build entries, audit_list.c stores them and answers entries:list,
 * audit_scan.c reads a page of them, audit_sink.c writes the file sink.
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

/* What every entry starts with: its timestamp and insertId (the given
 * ones, checked, or now and a random one) and its logName. */
typedef struct vouch__audit_head {
    char ts[TS_LEN + 1];
    char id[VOUCH_AUDIT_INSERT_ID_MAX + 1];
    char log_name[256];
} vouch__audit_head;

/* Fill `h` for a new entry of `project`'s log `log` (a VOUCH_AUDIT_LOG_
 * name). */
int vouch__audit_head_set(vouch__audit_head *h, const char *timestamp,
                          const char *insert_id, const char *project,
                          const char *log, vouch_error *err);

/* What every enforcement event needs (project, location, methodName, a
 * service and revision or a job), the decision aside. */
int vouch__audit_check_run_target(const vouch_audit_run_event *ev,
                                  vouch_error *err);

/* The resource of an enforcement entry (cloud_run_revision or
 * cloud_run_job, with its labels), and the v2 name of what the event is
 * about; NULL when out of memory. */
json_t *vouch__audit_run_resource(const vouch_audit_run_event *ev);
char *vouch__audit_run_resource_name(const vouch_audit_run_event *ev);

/* The Knative object an enforcement entry's `response` stands for: a
 * Revision, or a Job or its Execution, by its v1 apiVersion and name.
 * Borrowed from `ev`. */
typedef struct vouch__audit_run_object {
    const char *api_version;
    const char *kind;
    const char *name;
} vouch__audit_run_object;

vouch__audit_run_object vouch__audit_run_object_of(
    const vouch_audit_run_event *ev);

/*
 * One page of entries:list, read by audit_scan.c: the entries of the
 * query's projects in key order (TIMESTAMP "/" INSERT_ID) past `resume`
 * that match the filter, at most `page_size`, within
 * VOUCH_AUDIT_SCAN_BUDGET. `next_key` (malloc'd) is where the next page
 * resumes, NULL when nothing is left: the last entry returned when the
 * page is full, the last entry read when the budget ran out first.
 */
typedef struct vouch__audit_scan {
    const vouch_audit_query *q;
    const char *resume;         /* a key, or NULL: from the first */
    size_t page_size;
    json_t *entries;            /* out: an array (caller decrefs) */
    char *next_key;             /* out */
} vouch__audit_scan;

int vouch__audit_scan_run(vouch_store_conn *conn, vouch__audit_scan *s,
                          vouch_error *err);

/* An entry that could not be built: VOUCH_ENOMEM, saying so. */
int vouch__audit_build_failed(vouch_error *err);

#endif /* VOUCH_AUDIT_INTERNAL_H */
