/*
 * Tests of src/platform/logfilter.c, the Cloud Logging filter language.
 *
 * Sections:
 *   documented filters the exact Cloud Run audit filters of docs/audit.md
 *   operators          = != : :* >= <= > < on strings, numbers,
 *                      timestamps, severities, booleans
 *   paths              arrays (any element), quoted segments, absent paths
 *   logic              AND OR NOT - implicit AND, parentheses, precedence,
 *                      value lists
 *   text search        bare words and quoted strings
 *   strings            escapes
 *   errors             every parse error with its line and column
 *   limits             length, nesting, (ptr, len) discipline
 *   helpers            vouch_logfilter_log_name, vouch_logfilter_parse_time,
 *                      vouch_logfilter_bounds_get, vouch_logfilter_terms
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "logfilter.h"
#include "vutil_time.h"

static const char entry_text[] =
    "{"
    " \"insertId\": \"abc\","
    " \"timestamp\": \"2026-11-29T12:00:00.123456Z\","
    " \"logName\": "
    "\"projects/p/logs/cloudaudit.googleapis.com%2Fsystem_event\","
    " \"resource\": {\"type\": \"cloud_run_revision\", \"labels\": {"
    "   \"project_id\": \"p\", \"location\": \"us-central1\","
    "   \"service_name\": \"app\", \"revision_name\": \"app-00002-xyz\","
    "   \"configuration_name\": \"app\"}},"
    " \"severity\": \"ERROR\","
    " \"labels\": {\"binaryauthorization.googleapis.com/decision\": "
    "\"DENY\"},"
    " \"protoPayload\": {"
    "   \"@type\": \"type.googleapis.com/google.cloud.audit.AuditLog\","
    "   \"serviceName\": \"run.googleapis.com\","
    "   \"methodName\": \"google.cloud.run.v2.Services.CreateService\","
    "   \"status\": {\"code\": 9, \"message\": \"denied\"},"
    "   \"response\": {"
    "     \"metadata\": {\"annotations\": {"
    "       \"run.googleapis.com/binary-authorization-breakglass\": "
    "\"Emergency fix\"}},"
    "     \"status\": {\"conditions\": ["
    "       {\"type\": \"Ready\", \"status\": \"False\","
    "        \"reason\": \"ContainerImageUnauthorized\","
    "        \"message\": \"Container image 'x' is not authorized by "
    "policy.\"},"
    "       {\"type\": \"Other\", \"status\": \"True\", \"reason\": "
    "\"Fine\"}]}}},"
    " \"numbers\": [1, 2.5],"
    " \"flag\": true,"
    " \"nested\": [[{\"k\": \"deep\"}]],"
    " \"quoted\": \"say \\\"hi\\\"\\\\ok\\n\","
    " \"uni\": \"\\u00e9\\ud83d\\ude00\""
    "}";

static json_t *entry;

static int setup(void **state)
{
    json_error_t jerr;

    (void)state;
    entry = json_loads(entry_text, 0, &jerr);
    if (entry == NULL) {
        fprintf(stderr, "entry: %d:%d: %s\n", jerr.line, jerr.column,
                jerr.text);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(entry);
    return 0;
}

/* Parse (must succeed) and match against the sample entry. */
static bool m(const char *filter)
{
    vouch_logfilter *f = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    bool result;
    int rc;

    rc = vouch_logfilter_parse(&f, filter, strlen(filter), &err);
    if (rc != 0) {
        fail_msg("filter '%s' did not parse: %d:%d: %s", filter, err.line,
                 err.column, err.message);
    }
    result = vouch_logfilter_match(f, entry);
    vouch_logfilter_free(f);
    return result;
}

static void expect_error(const char *filter, int code, unsigned line,
                         unsigned column, const char *text)
{
    vouch_logfilter *f = (vouch_logfilter *)1;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t len = strlen(filter);
    /* an exact copy without a NUL, so ASan sees any read past the end */
    char *copy = malloc(len > 0 ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, filter, len);
    rc = vouch_logfilter_parse(&f, copy, len, &err);
    free(copy);
    if (rc != code || err.line != line || err.column != column ||
        strstr(err.message, text) == NULL) {
        fail_msg("filter '%s': got %d at %u:%u '%s'; want %d at %u:%u "
                 "containing '%s'", filter, rc, err.line, err.column,
                 err.message, code, line, column, text);
    }
    assert_null(f);
    assert_string_equal(err.source, "filter");
}

/* ---- documented filters ---- */

static void test_logfilter_spec_filters(void **state)
{
    (void)state;
    assert_true(m("protoPayload.response.status.conditions.reason="
                  "\"ContainerImageUnauthorized\""));
    assert_true(m("resource.type=\"cloud_run_revision\""));
    assert_true(m("logName=\"projects/p/logs/"
                  "cloudaudit.googleapis.com%2Fsystem_event\""));
    assert_true(m("protoPayload.methodName="
                  "\"google.cloud.run.v2.Services.CreateService\""));
    assert_true(m("protoPayload.serviceName=\"run.googleapis.com\""));
    assert_true(m("resource.labels.service_name=\"app\""));
    assert_true(m("timestamp>=\"2026-11-29T00:00:00Z\" AND "
                  "timestamp<\"2026-11-30T00:00:00Z\""));
    /* and the same filters with other values do not match */
    assert_false(m("protoPayload.response.status.conditions.reason="
                   "\"ContainerImageAuthorizationCheckFailed\""));
    assert_false(m("resource.type=\"cloud_run_job\""));
    assert_false(m("logName=\"projects/p/logs/"
                   "cloudaudit.googleapis.com%2Factivity\""));
    assert_false(m("timestamp>=\"2026-11-30T00:00:00Z\""));
}

/* ---- operators ---- */

static void test_logfilter_equal_is_exact(void **state)
{
    (void)state;
    assert_true(m("resource.type=cloud_run_revision"));
    assert_false(m("resource.type=Cloud_Run_Revision"));
    assert_false(m("resource.type=cloud_run"));
    assert_true(m("resource.type = \"cloud_run_revision\""));
}

static void test_logfilter_not_equal(void **state)
{
    (void)state;
    assert_true(m("resource.type!=cloud_run_job"));
    assert_false(m("resource.type!=cloud_run_revision"));
    /* an absent field is not equal to anything */
    assert_true(m("protoPayload.request.name!=x"));
    /* through an array: no element may be equal */
    assert_false(m("protoPayload.response.status.conditions.type!=Ready"));
}

static void test_logfilter_has_is_case_insensitive_substring(void **state)
{
    (void)state;
    assert_true(m("protoPayload.methodName:createservice"));
    assert_true(m("protoPayload.methodName:\"Services.Create\""));
    assert_false(m("protoPayload.methodName:DeleteService"));
    /* on an object: any string inside it */
    assert_true(m("protoPayload.response.metadata.annotations:EMERGENCY"));
    /* on a number: its decimal text */
    assert_true(m("protoPayload.status.code:9"));
    /* severity ':' is textual too */
    assert_true(m("severity:err"));
}

static void test_logfilter_exists(void **state)
{
    (void)state;
    assert_true(m("protoPayload.response:*"));
    assert_false(m("protoPayload.request:*"));
    assert_true(m("NOT protoPayload.request:*"));
    assert_true(m("(protoPayload.response:*)"));
}

static void test_logfilter_timestamps_compare_as_instants(void **state)
{
    (void)state;
    assert_true(m("timestamp<=\"2026-11-29T12:00:00.123456Z\""));
    assert_false(m("timestamp<\"2026-11-29T12:00:00.123456Z\""));
    assert_true(m("timestamp>\"2026-11-29T12:00:00.123455Z\""));
    assert_true(m("timestamp>=2026-11-29T12:00:00Z"));
    /* offsets: 13:00+01:00 is 12:00Z */
    assert_true(m("timestamp=\"2026-11-29T13:00:00.123456+01:00\""));
    assert_true(m("timestamp>\"2026-11-29T12:30:00+01:00\""));
    assert_false(m("timestamp>\"2026-11-29T07:30:00-05:00\""));
    /* the same instant with fewer digits of fraction */
    assert_true(m("timestamp>\"2026-11-29T12:00:00.1Z\""));
    assert_false(m("timestamp>\"2026-11-29T12:00:00.2Z\""));
}

static void test_logfilter_severity_by_rank(void **state)
{
    (void)state;
    assert_true(m("severity=ERROR"));
    assert_true(m("severity=error"));
    assert_true(m("severity>=WARNING"));
    assert_true(m("severity>=ERROR"));
    assert_false(m("severity>ERROR"));
    assert_true(m("severity<CRITICAL"));
    assert_false(m("severity<=NOTICE"));
    assert_false(m("severity>=EMERGENCY"));
    assert_true(m("severity>DEFAULT"));
    assert_true(m("severity>=400"));
    assert_true(m("severity!=INFO"));
}

static void test_logfilter_numbers_compare_numerically(void **state)
{
    (void)state;
    assert_true(m("protoPayload.status.code=9"));
    assert_true(m("protoPayload.status.code=\"9\""));
    assert_true(m("protoPayload.status.code=9.0"));
    assert_true(m("protoPayload.status.code>8"));
    assert_true(m("protoPayload.status.code<10.5"));
    assert_false(m("protoPayload.status.code>10"));
    /* 9 < 10 numerically although "9" > "10" as text */
    assert_true(m("protoPayload.status.code<10"));
    assert_false(m("protoPayload.status.code=nine"));
    assert_true(m("flag=true"));
    assert_false(m("flag=false"));
}

static void test_logfilter_strings_order_bytewise(void **state)
{
    (void)state;
    assert_true(m("resource.labels.location>us-a"));
    assert_true(m("resource.labels.location<us-d"));
    assert_false(m("resource.labels.location<us-central1"));
    assert_true(m("resource.labels.location<=us-central1"));
}

/* ---- paths ---- */

static void test_logfilter_array_matches_any_element(void **state)
{
    (void)state;
    assert_true(m("protoPayload.response.status.conditions.reason=Fine"));
    assert_true(m("protoPayload.response.status.conditions.status=False"));
    assert_true(m("numbers>2"));
    assert_false(m("numbers>3"));
    assert_true(m("numbers=2.5"));
    assert_true(m("nested.k=deep"));
}

static void test_logfilter_quoted_path_segments(void **state)
{
    (void)state;
    assert_true(m("labels.\"binaryauthorization.googleapis.com/decision\""
                  "=DENY"));
    assert_true(m("protoPayload.\"@type\":AuditLog"));
    assert_true(m("protoPayload.@type:AuditLog"));
    assert_true(m("protoPayload.response.metadata.annotations."
                  "\"run.googleapis.com/binary-authorization-breakglass\""
                  ":*"));
    assert_true(m("\"resource\".type=cloud_run_revision"));
    assert_true(m("resource.\"labels\".location=us-central1"));
}

static void test_logfilter_absent_path_matches_nothing(void **state)
{
    (void)state;
    assert_false(m("nosuch=x"));
    assert_false(m("nosuch:x"));
    assert_false(m("nosuch>=0"));
    assert_false(m("severity.deeper=x"));
    assert_false(m("resource.type.x=y"));
}

/* ---- logic ---- */

static void test_logfilter_and_or_not(void **state)
{
    (void)state;
    assert_true(m("severity=ERROR AND resource.type=cloud_run_revision"));
    assert_false(m("severity=ERROR AND resource.type=cloud_run_job"));
    assert_true(m("severity=INFO OR severity=ERROR"));
    assert_false(m("severity=INFO OR severity=WARNING"));
    assert_true(m("NOT severity=INFO"));
    assert_false(m("NOT severity=ERROR"));
    assert_true(m("NOT NOT severity=ERROR"));
    assert_false(m("-severity=ERROR"));
    assert_true(m("-(severity=INFO)"));
    assert_true(m("-nosuchword"));
}

static void test_logfilter_juxtaposition_is_and(void **state)
{
    (void)state;
    assert_true(m("severity=ERROR resource.type=cloud_run_revision"));
    assert_false(m("severity=ERROR resource.type=cloud_run_job"));
    assert_true(m("severity=ERROR\nresource.type=cloud_run_revision"));
}

static void test_logfilter_or_binds_tighter_than_and(void **state)
{
    (void)state;
    /* Cloud Logging: a AND b OR c is a AND (b OR c). */
    assert_false(m("severity=INFO AND severity=WARNING OR "
                   "resource.type=cloud_run_revision"));
    assert_true(m("(severity=INFO AND severity=WARNING) OR "
                  "resource.type=cloud_run_revision"));
    /* and implicit AND likewise */
    assert_false(m("severity=INFO severity=WARNING OR severity=ERROR"));
    assert_true(m("severity=ERROR severity=WARNING OR severity=ERROR"));
    /* NOT binds tightest */
    assert_true(m("NOT severity=INFO OR severity=INFO"));
    assert_false(m("NOT (severity=INFO OR severity=ERROR)"));
}

static void test_logfilter_value_lists(void **state)
{
    (void)state;
    assert_true(m("severity=(INFO OR ERROR)"));
    assert_false(m("severity=(INFO OR WARNING)"));
    assert_true(m("resource.type=(\"cloud_run_job\" OR "
                  "\"cloud_run_revision\")"));
    assert_true(m("protoPayload.methodName:(DeleteService OR Create)"));
    assert_false(m("resource.type!=(cloud_run_job OR cloud_run_revision)"));
}

/* ---- text search ---- */

static void test_logfilter_text_search(void **state)
{
    (void)state;
    assert_true(m("emergency"));
    assert_true(m("\"not authorized\""));
    assert_false(m("NOT AUTHORIZED"));       /* NOT (authorized) */
    assert_true(m("\"NOT AUTHORIZED\""));
    assert_false(m("\"dry run\""));
    assert_false(m("breakglassing"));
    /* values only: neither keys nor numbers */
    assert_false(m("insertId"));
    assert_true(m("app-00002-xyz"));
    assert_true(m("us-central1 severity=ERROR"));
    assert_true(m("\"\""));
}

/* ---- strings ---- */

static void test_logfilter_escapes(void **state)
{
    (void)state;
    assert_true(m("quoted=\"say \\\"hi\\\"\\\\ok\\n\""));
    assert_false(m("quoted=\"say \\\"hi\\\"\\\\ok\""));
    assert_true(m("uni=\"\\u00e9\\ud83d\\ude00\""));
    assert_true(m("uni=\"\xc3\xa9\xf0\x9f\x98\x80\""));
    assert_true(m("logName:\"\\/logs\\/\""));
    assert_false(m("quoted:\"\\t\""));
    assert_false(m("quoted:\"\\r\\b\\f\""));
}

/* ---- errors ---- */

static void test_logfilter_errors_have_positions(void **state)
{
    (void)state;
    expect_error("resource.type=", VOUCH_EINVAL, 1, 15,
                 "expected a value after '='");
    expect_error("protoPayload.x=  ", VOUCH_EINVAL, 1, 18,
                 "expected a value after '='");
    expect_error("severity>= )", VOUCH_EINVAL, 1, 12,
                 "expected a value after '>='");
    expect_error("severity=ERROR AND", VOUCH_EINVAL, 1, 19,
                 "expected an expression after AND");
    expect_error("a=1 AND AND b=1", VOUCH_EINVAL, 1, 9,
                 "expected an expression after AND");
    expect_error("a OR", VOUCH_EINVAL, 1, 5,
                 "expected an expression after OR");
    expect_error("a OR AND b", VOUCH_EINVAL, 1, 6,
                 "expected an expression after OR");
    expect_error("OR a", VOUCH_EINVAL, 1, 1,
                 "expected an expression before 'OR'");
    expect_error("AND a", VOUCH_EINVAL, 1, 1,
                 "expected an expression before 'AND'");
    expect_error("NOT", VOUCH_EINVAL, 1, 4,
                 "expected an expression after 'NOT'");
    expect_error("a -(", VOUCH_EINVAL, 1, 5, "expected an expression");
    expect_error("(severity=ERROR", VOUCH_EINVAL, 1, 16,
                 "expected ')' to close the '(' at column 1");
    expect_error("severity=ERROR)", VOUCH_EINVAL, 1, 15, "unexpected ')'");
    expect_error(")", VOUCH_EINVAL, 1, 1, "unexpected ')'");
    expect_error("()", VOUCH_EINVAL, 1, 2,
                 "expected an expression inside '()'");
    expect_error("\"abc", VOUCH_EINVAL, 1, 1, "unterminated string");
    expect_error("a=\"abc\\", VOUCH_EINVAL, 1, 3, "unterminated string");
    expect_error("a=\"x\\q\"", VOUCH_EINVAL, 1, 5, "unknown escape '\\q'");
    expect_error("a=\"x\\\x01\"", VOUCH_EINVAL, 1, 5, "unknown escape");
    expect_error("a=\"\\u12\"", VOUCH_EINVAL, 1, 4,
                 "expected 4 hex digits after '\\u'");
    expect_error("a=\"\\ud800\"", VOUCH_EINVAL, 1, 4,
                 "without a low surrogate");
    expect_error("a=\"\\ud800\\u0041\"", VOUCH_EINVAL, 1, 4,
                 "without a low surrogate");
    expect_error("a=\"\\udc00\"", VOUCH_EINVAL, 1, 4,
                 "unpaired low surrogate");
    expect_error("a=~\"x\"", VOUCH_EINVAL, 1, 2,
                 "regular expressions ('=~') are not supported");
    expect_error("a!~x", VOUCH_EINVAL, 1, 2,
                 "regular expressions ('!~') are not supported");
    expect_error("a!x", VOUCH_EINVAL, 1, 2, "expected '=' after '!'");
    expect_error("=x", VOUCH_EINVAL, 1, 1,
                 "expected a field path before '='");
    expect_error("a=1 :x", VOUCH_EINVAL, 1, 5,
                 "expected a field path before ':'");
    expect_error("a..b=1", VOUCH_EINVAL, 1, 3, "empty segment");
    expect_error(".a=1", VOUCH_EINVAL, 1, 1, "empty segment");
    expect_error("a.=1", VOUCH_EINVAL, 1, 2, "ends with '.'");
    expect_error("a\"b\"=1", VOUCH_EINVAL, 1, 2,
                 "expected '.' before a quoted path segment");
    expect_error("\"a\"\"b\"=1", VOUCH_EINVAL, 1, 4,
                 "expected '.' before a quoted path segment");
    expect_error("\"a\"b=1", VOUCH_EINVAL, 1, 4,
                 "expected '.' after a quoted path segment");
    expect_error("severity=LOUD", VOUCH_EINVAL, 1, 10, "unknown severity");
    expect_error("severity>=(INFO OR LOUD)", VOUCH_EINVAL, 1, 20,
                 "unknown severity");
    expect_error("a=AND", VOUCH_EINVAL, 1, 3,
                 "found the operator 'AND'");
    /* regression (fuzz): the operator at the very end of the input */
    expect_error("a=OR", VOUCH_EINVAL, 1, 3, "found the operator 'OR'");
    expect_error("$K Te(sveriuy<(INFO OR OR", VOUCH_EINVAL, 1, 24,
                 "found the operator 'OR'");
    expect_error("a=NOT", VOUCH_EINVAL, 1, 3, "found the operator 'NOT'");
    expect_error("a=(x y)", VOUCH_EINVAL, 1, 6,
                 "expected OR or ')' in the value list");
    expect_error("a=(x OR", VOUCH_EINVAL, 1, 8,
                 "expected a value after '='");
    expect_error("a=(x", VOUCH_EINVAL, 1, 5,
                 "expected ')' to close the value list opened at column 3");
    expect_error("a=(", VOUCH_EINVAL, 1, 4, "expected a value after '='");
    /* lines and columns across newlines */
    expect_error("severity=ERROR\nAND resource.type=", VOUCH_EINVAL, 2, 19,
                 "expected a value after '='");
    expect_error("a=1\n\n  (b=2", VOUCH_EINVAL, 3, 7, "expected ')'");
}

static void test_logfilter_error_message_reads_as_documented(void **state)
{
    vouch_logfilter *f = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    static const char text[] = "resource.type=\"x\" severity=";
    char buf[300];

    (void)state;
    assert_int_equal(vouch_logfilter_parse(&f, text, sizeof(text) - 1, &err),
                     VOUCH_EINVAL);
    vouch_error_format(&err, buf, sizeof(buf));
    assert_string_equal(buf, "filter:1:28: expected a value after '='");
}

/* ---- limits ---- */

static void test_logfilter_length_limit(void **state)
{
    vouch_logfilter *f = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = malloc(VOUCH_LOGFILTER_MAX_BYTES + 1);
    size_t i;

    (void)state;
    assert_non_null(text);
    for (i = 0; i + 1 < VOUCH_LOGFILTER_MAX_BYTES; i += 2) {
        text[i] = 'a';
        text[i + 1] = ' ';
    }
    /* exactly the limit: 10,000 search terms ANDed */
    assert_int_equal(vouch_logfilter_parse(&f, text,
                                           VOUCH_LOGFILTER_MAX_BYTES, &err),
                     0);
    assert_true(vouch_logfilter_match(f, entry));
    vouch_logfilter_free(f);
    f = NULL;
    text[VOUCH_LOGFILTER_MAX_BYTES] = 'a';
    assert_int_equal(vouch_logfilter_parse(&f, text,
                                           VOUCH_LOGFILTER_MAX_BYTES + 1,
                                           &err),
                     VOUCH_ETOOBIG);
    assert_null(f);
    assert_non_null(strstr(err.message, "the limit is 20000"));
    free(text);
}

static void test_logfilter_nesting_limit(void **state)
{
    char text[512];
    size_t n = 0;
    size_t i;

    (void)state;
    for (i = 0; i < VOUCH_LOGFILTER_MAX_DEPTH; i++) {
        text[n++] = '(';
    }
    memcpy(text + n, "severity=ERROR", 14);
    n += 14;
    for (i = 0; i < VOUCH_LOGFILTER_MAX_DEPTH; i++) {
        text[n++] = ')';
    }
    text[n] = '\0';
    assert_true(m(text));

    memmove(text + 1, text, n + 1);
    text[0] = '(';
    n++;
    text[n++] = ')';
    text[n] = '\0';
    expect_error(text, VOUCH_ETOOBIG, 1, 65, "nested deeper than 64");

    n = 0;
    for (i = 0; i <= VOUCH_LOGFILTER_MAX_DEPTH; i++) {
        memcpy(text + n, "NOT ", 4);
        n += 4;
    }
    memcpy(text + n, "x", 2);
    expect_error(text, VOUCH_ETOOBIG, 1, 257, "nested deeper than 64");
}

static void test_logfilter_reads_only_len_bytes(void **state)
{
    vouch_logfilter *f = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    /* not NUL-terminated where the filter ends */
    static const char text[] = "severity=ERRORxyz";
    static const char cut[] = "resource.type=cloud_run_revision";
    char *heap;

    (void)state;
    assert_int_equal(vouch_logfilter_parse(&f, text, 14, &err), 0);
    assert_true(vouch_logfilter_match(f, entry));
    vouch_logfilter_free(f);

    /* a copy on the heap with no NUL: ASan catches any over-read */
    heap = malloc(sizeof(cut) - 1);
    assert_non_null(heap);
    memcpy(heap, cut, sizeof(cut) - 1);
    assert_int_equal(vouch_logfilter_parse(&f, heap, sizeof(cut) - 1, &err),
                     0);
    assert_true(vouch_logfilter_match(f, entry));
    vouch_logfilter_free(f);
    assert_int_equal(vouch_logfilter_parse(&f, heap, 14, &err),
                     VOUCH_EINVAL);
    assert_int_equal(err.column, 15);
    free(heap);
}

static void test_logfilter_empty_matches_everything(void **state)
{
    vouch_logfilter *f = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_logfilter_parse(&f, "", 0, &err), 0);
    assert_non_null(f);
    assert_true(vouch_logfilter_match(f, entry));
    vouch_logfilter_free(f);
    assert_int_equal(vouch_logfilter_parse(&f, " \n\t ", 4, &err), 0);
    assert_true(vouch_logfilter_match(f, entry));
    vouch_logfilter_free(f);
    assert_int_equal(vouch_logfilter_parse(&f, NULL, 0, &err), 0);
    vouch_logfilter_free(f);
    assert_true(vouch_logfilter_match(NULL, entry));
    vouch_logfilter_free(NULL);
}

/* ---- helpers ---- */

static void test_logfilter_log_name_hint(void **state)
{
    vouch_logfilter *f = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    static const char *const none[] = {
        "logName:\"projects/p\"",
        "logName=\"a\" OR severity=ERROR",
        "NOT logName=\"a\"",
        "logName=(a OR b)",
        "severity=ERROR",
        "",
    };
    size_t i;

    (void)state;
    assert_int_equal(vouch_logfilter_parse(&f,
                         "severity=ERROR logName=\"projects/p/logs/x\"", 42,
                         &err), 0);
    assert_string_equal(vouch_logfilter_log_name(f), "projects/p/logs/x");
    vouch_logfilter_free(f);
    assert_int_equal(vouch_logfilter_parse(&f, "logName=y", 9, &err), 0);
    assert_string_equal(vouch_logfilter_log_name(f), "y");
    vouch_logfilter_free(f);
    for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        assert_int_equal(vouch_logfilter_parse(&f, none[i], strlen(none[i]),
                                               &err), 0);
        assert_null(vouch_logfilter_log_name(f));
        vouch_logfilter_free(f);
    }
    assert_null(vouch_logfilter_log_name(NULL));
}

static vouch_logfilter *parse_ok(const char *text)
{
    vouch_logfilter *f = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vouch_logfilter_parse(&f, text, strlen(text), &err) != 0) {
        fail_msg("%s: %s", text, err.message);
    }
    return f;
}

/* What entries:list reads from indexes: only top-level conditions that
 * every match meets, and only those an index of the text can serve. */
static void test_logfilter_bounds(void **state)
{
    static const char *const none[] = {
        "",
        "resource.type:cloud_run",
        "resource.type=(a OR b)",
        "resource.type=5",
        "resource.type=\"2026-11-29T12:00:00Z\"",
        "NOT resource.type=a",
        "resource.type=a OR severity=ERROR",
        "timestamp>=\"not a time\"",
        "timestamp!=\"2026-11-29T12:00:00Z\"",
        "NOT timestamp>=\"2026-11-29T12:00:00Z\"",
        "resource.labels.type=a",
    };
    vouch_logfilter_bounds b;
    vouch_logfilter *f;
    size_t i;

    (void)state;
    f = parse_ok("timestamp>=\"2026-11-29T12:00:00Z\" "
                 "timestamp>\"2026-11-29T13:00:00+00:00\" "
                 "timestamp<=\"2026-11-30T00:00:00.5Z\" "
                 "resource.type=\"cloud_run_job\" severity=ERROR "
                 "logName=\"projects/p/logs/x\"");
    vouch_logfilter_bounds_get(f, &b);
    assert_true(b.has_min);
    assert_int_equal(b.min_sec, 1795957200);   /* 13:00Z, the larger */
    assert_true(b.has_max);
    assert_int_equal(b.max_sec, 1795996800);
    assert_int_equal(b.max_nsec, 500000000);
    assert_string_equal(b.resource_type, "cloud_run_job");
    assert_string_equal(b.log_name, "projects/p/logs/x");
    vouch_logfilter_free(f);
    f = parse_ok("timestamp=\"2026-11-29T12:00:00Z\"");
    vouch_logfilter_bounds_get(f, &b);
    assert_true(b.has_min && b.has_max);
    assert_int_equal(b.min_sec, b.max_sec);
    assert_null(b.resource_type);
    vouch_logfilter_free(f);
    for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        f = parse_ok(none[i]);
        vouch_logfilter_bounds_get(f, &b);
        if (b.has_min || b.has_max || b.resource_type != NULL ||
            b.log_name != NULL) {
            fail_msg("%s: bounds where there are none", none[i]);
        }
        vouch_logfilter_free(f);
    }
    vouch_logfilter_bounds_get(NULL, &b);
    assert_false(b.has_min);
}

/* The work of a filter on one entry: a comparison value 1, a search 2,
 * one more per 64 bytes of a value. */
static void test_logfilter_terms(void **state)
{
    static const struct { const char *text; size_t terms; } cases[] = {
        { "", 0 },
        { "severity=ERROR", 1 },
        { "severity=(ERROR OR WARNING OR INFO)", 3 },
        { "breakglass", 2 },
        { "a OR b OR NOT c", 6 },
        { "labels.x:* resource.type:run", 3 },
        { "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          "aaaaaaaaa\"", 3 },
    };
    vouch_logfilter *f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f = parse_ok(cases[i].text);
        if (vouch_logfilter_terms(f) != cases[i].terms) {
            fail_msg("%s: %zu terms, want %zu", cases[i].text,
                     vouch_logfilter_terms(f), cases[i].terms);
        }
        vouch_logfilter_free(f);
    }
    assert_int_equal(vouch_logfilter_terms(NULL), 0);
}

static void test_logfilter_parse_time(void **state)
{
    static const char *const bad[] = {
        "2026-11-29T12:00:00",         /* no zone */
        "2026-11-29 12:00:00Z",        /* space */
        "2026-02-29T00:00:00Z",        /* not a leap year */
        "2026-13-01T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "2026-11-29T24:00:00Z",
        "2026-11-29T12:60:00Z",
        "2026-11-29T12:00:00.Z",
        "2026-11-29T12:00:00+0100",
        "2026-11-29T12:00:00+01:00x",
        "2026-11-29",
        "",
    };
    long long s;
    long ns;
    size_t i;

    (void)state;
    assert_true(vutil_rfc3339_parse("1970-01-01T00:00:00Z", 20, &s,
                                           &ns));
    assert_int_equal(s, 0);
    assert_int_equal(ns, 0);
    assert_true(vutil_rfc3339_parse("2024-02-29T00:00:00.5z", 22, &s,
                                           &ns));
    assert_int_equal(s, 1709164800);
    assert_int_equal(ns, 500000000);
    assert_true(vutil_rfc3339_parse("2026-11-29T13:00:00+01:00", 25,
                                           &s, &ns));
    assert_int_equal(s, 1795953600);
    assert_true(vutil_rfc3339_parse("1969-12-31T23:59:59Z", 20, &s,
                                           &ns));
    assert_int_equal(s, -1);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (vutil_rfc3339_parse(bad[i], strlen(bad[i]), &s, &ns)) {
            fail_msg("'%s' parsed as a time", bad[i]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logfilter_spec_filters),
        cmocka_unit_test(test_logfilter_equal_is_exact),
        cmocka_unit_test(test_logfilter_not_equal),
        cmocka_unit_test(test_logfilter_has_is_case_insensitive_substring),
        cmocka_unit_test(test_logfilter_exists),
        cmocka_unit_test(test_logfilter_timestamps_compare_as_instants),
        cmocka_unit_test(test_logfilter_severity_by_rank),
        cmocka_unit_test(test_logfilter_numbers_compare_numerically),
        cmocka_unit_test(test_logfilter_strings_order_bytewise),
        cmocka_unit_test(test_logfilter_array_matches_any_element),
        cmocka_unit_test(test_logfilter_quoted_path_segments),
        cmocka_unit_test(test_logfilter_absent_path_matches_nothing),
        cmocka_unit_test(test_logfilter_and_or_not),
        cmocka_unit_test(test_logfilter_juxtaposition_is_and),
        cmocka_unit_test(test_logfilter_or_binds_tighter_than_and),
        cmocka_unit_test(test_logfilter_value_lists),
        cmocka_unit_test(test_logfilter_text_search),
        cmocka_unit_test(test_logfilter_escapes),
        cmocka_unit_test(test_logfilter_errors_have_positions),
        cmocka_unit_test(test_logfilter_error_message_reads_as_documented),
        cmocka_unit_test(test_logfilter_length_limit),
        cmocka_unit_test(test_logfilter_nesting_limit),
        cmocka_unit_test(test_logfilter_reads_only_len_bytes),
        cmocka_unit_test(test_logfilter_empty_matches_everything),
        cmocka_unit_test(test_logfilter_log_name_hint),
        cmocka_unit_test(test_logfilter_bounds),
        cmocka_unit_test(test_logfilter_terms),
        cmocka_unit_test(test_logfilter_parse_time),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
