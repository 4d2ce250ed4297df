/*
 * Fuzz target: the Cloud Logging filter parser (src/platform/logfilter.c),
 * and the evaluation of whatever parses against a typical audit entry.
 */
#include <stddef.h>
#include <stdint.h>

#include "logfilter.h"

static const char entry_text[] =
    "{\"insertId\":\"abc\",\"timestamp\":\"2026-11-29T12:00:00.123456Z\","
    "\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%2Fsystem_event\","
    "\"resource\":{\"type\":\"cloud_run_revision\",\"labels\":{"
    "\"project_id\":\"p\",\"service_name\":\"app\"}},"
    "\"severity\":\"ERROR\",\"labels\":{\"a/b\":\"true\"},"
    "\"protoPayload\":{\"methodName\":\"x.CreateService\","
    "\"status\":{\"code\":9,\"message\":\"denied\"},"
    "\"response\":{\"status\":{\"conditions\":[{\"reason\":"
    "\"ContainerImageUnauthorized\",\"status\":\"False\"},{\"n\":[1,2.5,"
    "true,null,[\"deep\"]]}]}}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vouch_logfilter *filter = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    json_t *entry;

    if (vouch_logfilter_parse(&filter, (const char *)data, size, &err) != 0) {
        return 0;
    }
    entry = json_loads(entry_text, 0, NULL);
    if (entry != NULL) {
        (void)vouch_logfilter_match(filter, entry);
        (void)vouch_logfilter_log_name(filter);
        json_decref(entry);
    }
    vouch_logfilter_free(filter);
    return 0;
}
