/*
 * Unit tests for src/daemon/flags.c (flags.h): the flag-table engine
 * behind vouchd's command line, --config FILE and --help, over a table
 * with one setting of every kind (vouchd's own table uses most of them;
 * the next settings will use the rest).
 *
 * Sections:
 *   defaults        what a setting holds when nothing gives it
 *   command line    --name value, --name=value, switches, lists, units
 *   errors          each kind's refusal, as a usage error
 *   config file     syntax, line numbers, precedence against argv
 *   help            the text made from the table
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "flags.h"

typedef struct settings {
    const char *name;
    const char *file;
    const char *mode;
    unsigned count;
    size_t size;
    unsigned seconds;
    bool on;
    flag_list hosts;
    const char *config;
} settings;

#define S(f) offsetof(settings, f)

static const flag_spec table[] = {
    {"name", FLAG_STRING, "name", "TEXT", S(name), "anon", NULL, 0, 0, 0,
     "a name"},
    {"file", FLAG_PATH, "file", "FILE", S(file), NULL, NULL, 0, 0, 0,
     "a file"},
    {"mode", FLAG_CHOICE, "mode", "a|b|c", S(mode), "a", "a|b|c", 0, 0, 0,
     "a mode"},
    {"count", FLAG_COUNT, "count", "N", S(count), NULL, NULL, 4, 1, 10,
     "a count"},
    {"size", FLAG_SIZE, "size", "BYTES", S(size), NULL, NULL, 1024, 512,
     8u * 1024u * 1024u, "a size"},
    {"seconds", FLAG_DURATION, "seconds", "SECONDS", S(seconds), NULL, NULL,
     30, 1, 7200, "a duration"},
    {"on", FLAG_BOOL, "on", NULL, S(on), NULL, NULL, 0, 0, 0, "a switch"},
    {"host", FLAG_LIST, "host", "HOST", S(hosts), NULL, NULL, 0, 0, 3,
     "a host"},
    {"config", FLAG_CONFIG, NULL, "FILE", S(config), NULL, NULL, 0, 0, 0,
     "settings from FILE"},
    {"help", FLAG_HELP, NULL, NULL, 0, NULL, NULL, 0, 0, 0, "this help"},
    {"version", FLAG_VERSION, NULL, NULL, 0, NULL, NULL, 0, 0, 0,
     "the version"},
    {NULL, FLAG_STRING, NULL, NULL, 0, NULL, NULL, 0, 0, 0, NULL},
};

static flags make(settings *s)
{
    memset(s, 0, sizeof(*s));
    return (flags){"testd", "Test daemon.", NULL, table, s, NULL};
}

/* flags_parse() of a NULL-terminated argument list. */
static int parse(flags *f, const char *first, ...)
{
    char *argv[32] = {"testd"};
    int argc = 1;
    va_list ap;

    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < 31;
         a = va_arg(ap, const char *)) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    return flags_parse(f, argc, argv);
}

/* --- defaults ----------------------------------------------------------- */

static void test_flags_defaults(void **state)
{
    settings s;
    flags f = make(&s);

    (void)state;
    assert_int_equal(parse(&f, NULL), 0);
    assert_string_equal(s.name, "anon");
    assert_null(s.file);
    assert_string_equal(s.mode, "a");
    assert_int_equal(s.count, 4);
    assert_int_equal(s.size, 1024);
    assert_int_equal(s.seconds, 30);
    assert_false(s.on);
    assert_int_equal(s.hosts.count, 0);
    assert_null(s.hosts.items);
    flags_free(&f);
}

/* --- command line -------------------------------------------------------- */

static void test_flags_forms_and_units(void **state)
{
    settings s;
    flags f = make(&s);

    (void)state;
    assert_int_equal(parse(&f, "--name", "x", "--file=/tmp/f", "--mode", "c",
                           "--count=10", "--size", "4MiB", "--seconds",
                           "2h", "--on", "--host", "h1", "--host=h2", NULL),
                     0);
    assert_string_equal(s.name, "x");
    assert_string_equal(s.file, "/tmp/f");
    assert_string_equal(s.mode, "c");
    assert_int_equal(s.count, 10);
    assert_int_equal(s.size, 4u * 1024u * 1024u);
    assert_int_equal(s.seconds, 7200);
    assert_true(s.on);
    assert_int_equal(s.hosts.count, 2);
    assert_string_equal(s.hosts.items[0], "h1");
    assert_string_equal(s.hosts.items[1], "h2");
    assert_null(s.hosts.items[2]);      /* NULL-terminated */
    flags_free(&f);

    f = make(&s);
    assert_int_equal(parse(&f, "--on", "--on=false", "--size=64KiB",
                           "--seconds", "5m", "--name=", NULL), 0);
    assert_false(s.on);
    assert_int_equal(s.size, 65536);
    assert_int_equal(s.seconds, 300);
    assert_string_equal(s.name, "");    /* a string may be empty */
    flags_free(&f);
}

/* --- errors -------------------------------------------------------------- */

static void test_flags_errors(void **state)
{
    static const char *const bad[][3] = {
        {"--count", "0", NULL}, {"--count", "11", NULL},
        {"--count", "-1", NULL}, {"--count", "1x", NULL},
        {"--count", "99999999999999999999999", NULL},
        {"--size", "511", NULL}, {"--size", "9MiB", NULL},
        {"--size", "4MB", NULL}, {"--seconds", "3h", NULL},
        {"--seconds", "5d", NULL}, {"--mode", "d", NULL},
        {"--file=", NULL, NULL}, {"--on=maybe", NULL, NULL},
        {"--nope", NULL, NULL}, {"positional", NULL, NULL},
        {"--count", NULL, NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        settings s;
        flags f = make(&s);

        assert_int_equal(parse(&f, bad[i][0], bad[i][1], bad[i][2], NULL),
                         FLAGS_USAGE);
        flags_free(&f);
    }
}

static void test_flags_list_limit(void **state)
{
    settings s;
    flags f = make(&s);

    (void)state;
    assert_int_equal(parse(&f, "--host", "a", "--host", "b", "--host", "c",
                           "--host", "d", NULL),
                     FLAGS_USAGE);
    flags_free(&f);
}

static void test_flags_help_and_version_win(void **state)
{
    settings s;
    flags f = make(&s);

    (void)state;
    assert_int_equal(parse(&f, "--count", "0", "--help", NULL), FLAGS_DONE);
    flags_free(&f);
    f = make(&s);
    assert_int_equal(parse(&f, "--nope", "--help", NULL), FLAGS_USAGE);
    flags_free(&f);
    f = make(&s);
    assert_int_equal(parse(&f, "--version", NULL), FLAGS_VERSION);
    flags_free(&f);
}

/* --- config file ---------------------------------------------------------- */

static int config(flags *f, const char *text, char *err, size_t size)
{
    return flags_read_config(f, text, strlen(text), "t.conf", err, size);
}

static void test_flags_config_syntax(void **state)
{
    settings s;
    flags f = make(&s);
    char err[512];

    (void)state;
    assert_int_equal(config(&f,
                            "# settings\n"
                            "\n"
                            "name   spaced value  # comment\r\n"
                            "count = 7\n"
                            "size=2KiB\n"
                            "  on\n"
                            "host a\n"
                            "host b\n"
                            "\tmode\tb\n",
                            err, sizeof(err)),
                     0);
    assert_string_equal(s.name, "spaced value");
    assert_int_equal(s.count, 7);
    assert_int_equal(s.size, 2048);
    assert_true(s.on);
    assert_int_equal(s.hosts.count, 2);
    assert_string_equal(s.mode, "b");
    flags_free(&f);
}

static void test_flags_config_errors_name_the_line(void **state)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"count 2\n\nnope 1\n", "t.conf:3: unknown setting 'nope'"},
        {"count\n", "t.conf:1: 'count' needs a value"},
        {"name a\ncount 99\n", "t.conf:2: count: expected 1 to 10, got '99'"},
        {"mode z\n", "t.conf:1: mode must be a, b or c, not 'z'"},
        {"on perhaps\n", "t.conf:1: on must be true or false"},
        {"host a\nhost b\nhost c\nhost d\n", "t.conf:4: host: at most 3"},
        {"config other.conf\n", "t.conf:1: unknown setting 'config'"},
        {"help\n", "t.conf:1: unknown setting 'help'"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        settings s;
        flags f = make(&s);
        char err[512];

        assert_int_equal(config(&f, cases[i].text, err, sizeof(err)),
                         FLAGS_USAGE);
        if (strstr(err, cases[i].message) == NULL) {
            fail_msg("'%s' gave '%s'", cases[i].text, err);
        }
        flags_free(&f);
    }
}

static void test_flags_config_limits(void **state)
{
    settings s;
    flags f = make(&s);
    char err[512];
    char *big = malloc(FLAGS_CONFIG_MAX_BYTES + 2);
    static const char nul[] = "count 2\0count 3\n";

    (void)state;
    assert_non_null(big);
    memset(big, '#', FLAGS_CONFIG_MAX_BYTES + 1);
    assert_int_equal(flags_read_config(&f, big, FLAGS_CONFIG_MAX_BYTES + 1,
                                       "t.conf", err, sizeof(err)),
                     FLAGS_USAGE);
    assert_non_null(strstr(err, "over the limit"));
    assert_int_equal(flags_read_config(&f, nul, sizeof(nul) - 1, "t.conf",
                                       err, sizeof(err)),
                     FLAGS_USAGE);
    assert_non_null(strstr(err, "NUL"));
    free(big);
    flags_free(&f);
}

/* Flags given on the command line win over the file; a list keeps the
 * values of both, the file's first. */
static void test_flags_config_then_argv(void **state)
{
    char path[] = "/tmp/test_flags_XXXXXX";
    int fd = mkstemp(path);
    static const char text[] = "count 2\nname file\nhost from-file\n";
    settings s;
    flags f = make(&s);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof(text) - 1),
                     (ssize_t)(sizeof(text) - 1));
    close(fd);
    assert_int_equal(parse(&f, "--count", "5", "--host", "from-argv",
                           "--config", path, NULL),
                     0);
    assert_int_equal(s.count, 5);
    assert_string_equal(s.name, "file");
    assert_int_equal(s.hosts.count, 2);
    assert_string_equal(s.hosts.items[0], "from-file");
    assert_string_equal(s.hosts.items[1], "from-argv");
    flags_free(&f);
    unlink(path);

    f = make(&s);
    assert_int_equal(parse(&f, "--config", "/nonexistent/t.conf", NULL),
                     FLAGS_USAGE);
    flags_free(&f);
}

/* --- help ---------------------------------------------------------------- */

static void test_flags_help_text(void **state)
{
    char path[] = "/tmp/test_flags_help_XXXXXX";
    int fd = mkstemp(path);
    char text[4096];
    ssize_t n;
    settings s;
    flags f = make(&s);
    int saved;

    (void)state;
    assert_true(fd >= 0);
    fflush(stdout);
    saved = dup(1);
    dup2(fd, 1);
    flags_print_help(&f);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    n = pread(fd, text, sizeof(text) - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    text[n] = '\0';
    assert_non_null(strstr(text, "usage: testd [--name TEXT] [--file FILE]"));
    assert_non_null(strstr(text, "[--host HOST...]"));
    assert_non_null(strstr(text, "(default anon)"));
    assert_non_null(strstr(text, "(default 4; 1 to 10)"));
    assert_non_null(strstr(text, "(repeatable, at most 3)"));
    assert_non_null(strstr(text, "  --help"));
    flags_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags_defaults),
        cmocka_unit_test(test_flags_forms_and_units),
        cmocka_unit_test(test_flags_errors),
        cmocka_unit_test(test_flags_list_limit),
        cmocka_unit_test(test_flags_help_and_version_win),
        cmocka_unit_test(test_flags_config_syntax),
        cmocka_unit_test(test_flags_config_errors_name_the_line),
        cmocka_unit_test(test_flags_config_limits),
        cmocka_unit_test(test_flags_config_then_argv),
        cmocka_unit_test(test_flags_help_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
