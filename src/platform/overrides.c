/*
 * vouch run platform — RunJobRequest.overrides: per-execution changes to
 * a job's containers (args, env), its task count and its task timeout.
 * Overrides cannot name an image, so they never change what Binary
 * Authorization decides; the execution records the template it ran.
 *
 * Semantics (Cloud Run Admin v2 RunJobRequest.Overrides):
 * - containerOverrides[i].name picks the container; without a name, the
 *   job's first container (INFERRED: what gcloud's --args means for a
 *   one-container job);
 * - args replace the container's args; clearArgs empties them (both at
 *   once is an error); env is merged into the container's env by name;
 * - taskCount replaces the execution's task count (1 to 10,000);
 * - timeout replaces the task template's timeout ("600s" form).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform_internal.h"

#define OV "overrides.containerOverrides"
#define TASK_COUNT_MAX 10000

static int ov_error(vouch_error *err, const char *fmt, const char *a,
                    size_t i)
{
    return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0, fmt,
                           a, i);
}

/* "123s" or "1.5s": what Duration looks like in proto3 JSON. */
static bool is_duration(const char *s)
{
    char *end = NULL;
    double v;

    if (s == NULL || s[0] == '\0' || s[0] == '-' || s[0] == '+') {
        return false;
    }
    v = strtod(s, &end);
    return end != s && strcmp(end, "s") == 0 && v >= 0 && v <= 315576000000.0;
}

static int check_shape(const json_t *ov, vouch_error *err)
{
    static const char *const fields[] = {
        "containerOverrides", "taskCount", "timeout", NULL,
    };
    static const char *const co_fields[] = {
        "name", "args", "env", "clearArgs", NULL,
    };
    static const char *const none[] = { NULL };
    const json_t *list = json_object_get(ov, "containerOverrides");
    const json_t *v;
    size_t i;
    int rc;

    if (!json_is_object(ov)) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "overrides: expected an object");
    }
    rc = plat_fields_check(ov, fields, none, "overrides", err);
    if (rc < 0) {
        return rc;
    }
    v = json_object_get(ov, "taskCount");
    if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
                      json_integer_value(v) > TASK_COUNT_MAX)) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "overrides.taskCount: expected an integer "
                               "from 1 to %d", TASK_COUNT_MAX);
    }
    v = json_object_get(ov, "timeout");
    if (v != NULL && !is_duration(json_string_value(v))) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               "overrides.timeout: expected a duration "
                               "such as \"600s\"");
    }
    if (list == NULL) {
        return 0;
    }
    if (!json_is_array(list)) {
        return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                               OV ": expected an array");
    }
    json_array_foreach(list, i, v) {
        char path[64];
        const json_t *args = json_object_get(v, "args");
        const json_t *clear = json_object_get(v, "clearArgs");

        if (!json_is_object(v)) {
            return ov_error(err, "%s[%zu]: expected an object", OV, i);
        }
        snprintf(path, sizeof(path), OV "[%zu]", i);
        rc = plat_fields_check(v, co_fields, none, path, err);
        if (rc < 0) {
            return rc;
        }
        if (json_object_get(v, "name") != NULL &&
            !json_is_string(json_object_get(v, "name"))) {
            return ov_error(err, "%s[%zu].name: expected a string", OV, i);
        }
        if (clear != NULL && !json_is_boolean(clear)) {
            return ov_error(err, "%s[%zu].clearArgs: expected true or false",
                            OV, i);
        }
        if (args != NULL &&
            (rc = plat_string_array_check(args, OV, i, "args", err)) < 0) {
            return rc;
        }
        if (json_is_true(clear) && json_array_size(args) > 0) {
            return ov_error(err, "%s[%zu].clearArgs: true together with "
                            "args; give one or the other", OV, i);
        }
        if (json_object_get(v, "env") != NULL &&
            (rc = plat_env_check(json_object_get(v, "env"), OV, i, err)) <
                0) {
            return rc;
        }
    }
    return 0;
}

/* The container `name` names (NULL or "": the first), or NULL. */
static json_t *container_named(json_t *containers, const char *name)
{
    size_t i;
    json_t *c;

    if (name == NULL || name[0] == '\0') {
        return json_array_get(containers, 0);
    }
    json_array_foreach(containers, i, c) {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n != NULL && strcmp(n, name) == 0) {
            return c;
        }
    }
    return NULL;
}

/* Merge `add` into the container's env: same name replaces, new ones are
 * appended in order. */
static int merge_env(json_t *container, const json_t *add)
{
    json_t *env = json_object_get(container, "env");
    size_t i;
    size_t k;
    json_t *e;
    json_t *have;

    if (env == NULL) {
        env = json_array();
        if (env == NULL || json_object_set_new(container, "env", env) < 0) {
            return VOUCH_ENOMEM;
        }
    }
    json_array_foreach(add, i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        bool replaced = false;

        json_array_foreach(env, k, have) {
            const char *n = json_string_value(json_object_get(have, "name"));
            if (n != NULL && strcmp(n, name) == 0) {
                if (json_array_set_new(env, k, json_deep_copy(e)) < 0) {
                    return VOUCH_ENOMEM;
                }
                replaced = true;
                break;
            }
        }
        if (!replaced && json_array_append_new(env, json_deep_copy(e)) < 0) {
            return VOUCH_ENOMEM;
        }
    }
    return 0;
}

int plat_overrides_apply(const json_t *ov, json_t *task,
                         json_int_t *task_count, vouch_error *err)
{
    json_t *containers;
    json_t *changed = NULL;
    size_t i;
    json_t *co;
    int rc;

    if (ov == NULL) {
        return 0;
    }
    rc = check_shape(ov, err);
    if (rc < 0) {
        return rc;
    }
    /* Work on a copy: a later error must leave `task` as it was. */
    changed = json_deep_copy(json_object_get(task, "containers"));
    containers = changed;
    if (containers == NULL && json_object_get(task, "containers") != NULL) {
        return plat_enomem(err);
    }
    json_array_foreach(json_object_get(ov, "containerOverrides"), i, co) {
        const char *name = json_string_value(json_object_get(co, "name"));
        json_t *c = container_named(containers, name);
        const json_t *args = json_object_get(co, "args");
        const json_t *env = json_object_get(co, "env");

        if (c == NULL) {
            json_decref(changed);
            return vutil_error_set(err, VOUCH_EINVAL, "request body", 0, 0,
                                   OV "[%zu].name: the job has no "
                                   "container named '%.63s'",
                                   i, name != NULL ? name : "");
        }
        if (json_is_true(json_object_get(co, "clearArgs"))) {
            json_object_del(c, "args");
        } else if (json_array_size(args) > 0 &&
                   json_object_set_new(c, "args", json_deep_copy(args)) < 0) {
            json_decref(changed);
            return plat_enomem(err);
        }
        if (env != NULL && merge_env(c, env) < 0) {
            json_decref(changed);
            return plat_enomem(err);
        }
    }
    if (changed != NULL &&
        json_object_set_new(task, "containers", changed) < 0) {
        return plat_enomem(err);
    }
    if (json_object_get(ov, "timeout") != NULL &&
        json_object_set(task, "timeout", json_object_get(ov, "timeout")) <
            0) {
        return plat_enomem(err);
    }
    if (json_object_get(ov, "taskCount") != NULL) {
        *task_count = json_integer_value(json_object_get(ov, "taskCount"));
    }
    return 0;
}
