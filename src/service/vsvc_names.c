/*
 * vouch service — resource kinds and names (vsvc_names.h).
 */
#include "vsvc_names.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vutil_error.h"
#include "vutil_str.h"

typedef struct kind_row {
    const char *kind;
    const char *name;     /* printf template, one %s per id */
    const char *parent;   /* the same ids but the last */
    size_t ids;
} kind_row;

#define LOC "projects/%s/locations/%s"

static const kind_row rows[VSVC_KIND_COUNT] = {
    [VSVC_POLICY] = { VSVC_KIND_POLICY, "projects/%s/policy",
                      "projects/%s", 1 },
    [VSVC_ATTESTOR] = { VSVC_KIND_ATTESTOR, "projects/%s/attestors/%s",
                        "projects/%s", 2 },
    [VSVC_NOTE] = { VSVC_KIND_NOTE, "projects/%s/notes/%s", "projects/%s",
                    2 },
    [VSVC_OCCURRENCE] = { VSVC_KIND_OCCURRENCE,
                          "projects/%s/occurrences/%s", "projects/%s", 2 },
    [VSVC_LOGENTRY] = { VSVC_KIND_LOGENTRY, "projects/%s/logEntries/%s/%s",
                        "projects/%s", 3 },
    [VSVC_SERVICE] = { VSVC_KIND_SERVICE, LOC "/services/%s", LOC, 3 },
    [VSVC_REVISION] = { VSVC_KIND_REVISION, LOC "/services/%s/revisions/%s",
                        LOC "/services/%s", 4 },
    [VSVC_JOB] = { VSVC_KIND_JOB, LOC "/jobs/%s", LOC, 3 },
    [VSVC_EXECUTION] = { VSVC_KIND_EXECUTION, LOC "/jobs/%s/executions/%s",
                         LOC "/jobs/%s", 4 },
    [VSVC_OPERATION] = { VSVC_KIND_OPERATION, LOC "/operations/%s", LOC,
                         3 },
    [VSVC_ORGPOLICY] = { VSVC_KIND_ORGPOLICY,
                         "projects/%s/policies/" VSVC_CONSTRAINT,
                         "projects/%s", 1 },
    [VSVC_IAMPOLICY] = { VSVC_KIND_IAMPOLICY, "projects/%s%s",
                         "projects/%s", 2 },
};

const char *vsvc_kind_text(vsvc_kind k)
{
    return (unsigned)k < VSVC_KIND_COUNT ? rows[k].kind : NULL;
}

size_t vsvc_kind_ids(vsvc_kind k)
{
    return (unsigned)k < VSVC_KIND_COUNT ? rows[k].ids : 0;
}

/*
 * Expand `tpl` (only "%s" conversions, `count` of them) with `ids`.
 * snprintf with a template from the table above: -Wformat-nonliteral is
 * not on, and every template is checked against its id count.
 */
static int expand(char *buf, size_t size, const char *tpl,
                  const char *const *ids, size_t count)
{
    size_t used = 0;
    size_t k = 0;

    for (const char *p = tpl; *p != '\0'; p++) {
        const char *piece = NULL;
        size_t n;

        if (p[0] == '%' && p[1] == 's') {
            if (k >= count || ids[k] == NULL) {
                return VOUCH_EINVAL;
            }
            piece = ids[k++];
            p++;
            n = strlen(piece);
        } else {
            piece = p;
            n = 1;
        }
        if (used + n >= size) {
            return VOUCH_EINVAL;
        }
        memcpy(buf + used, piece, n);
        used += n;
    }
    buf[used] = '\0';
    return k == count ? 0 : VOUCH_EINVAL;
}

static int build(char *buf, size_t size, vsvc_kind k, bool parent,
                 const char *const *ids, size_t count, vouch_error *err)
{
    const kind_row *row;
    size_t want;

    if (size > 0) {
        buf[0] = '\0';
    }
    if ((unsigned)k >= VSVC_KIND_COUNT || size == 0) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "no such resource kind");
    }
    row = &rows[k];
    want = parent && row->ids > 1 ? row->ids - 1 : row->ids;
    if (count < want ||
        expand(buf, size, parent ? row->parent : row->name, ids, want) <
            0) {
        buf[0] = '\0';
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "the name of a %s: missing or too long ids",
                               row->kind);
    }
    return 0;
}

int vsvc_name(char *buf, size_t size, vsvc_kind k, const char *const *ids,
              size_t count, vouch_error *err)
{
    return build(buf, size, k, false, ids, count, err);
}

int vsvc_parent(char *buf, size_t size, vsvc_kind k, const char *const *ids,
                size_t count, vouch_error *err)
{
    return build(buf, size, k, true, ids, count, err);
}

void vsvc_project_name(char *buf, size_t size, const char *project)
{
    snprintf(buf, size, "projects/%s", project);
}

void vsvc_policy_name(char *buf, size_t size, const char *project)
{
    (void)vsvc_name(buf, size, VSVC_POLICY, &project, 1, NULL);
}

void vsvc_child_name(char *buf, size_t size, vsvc_kind k,
                     const char *project, const char *id)
{
    const char *ids[2] = { project, id };

    (void)vsvc_name(buf, size, k, ids, 2, NULL);
}

const char *vsvc_short_id(const char *name)
{
    const char *slash = name != NULL ? strrchr(name, '/') : NULL;

    return slash != NULL ? slash + 1 : name;
}

const char *vsvc_resource_uri_normal(const char *uri)
{
    if (uri != NULL && vutil_has_prefix(uri, "https://")) {
        return uri + 8;
    }
    return uri;
}
