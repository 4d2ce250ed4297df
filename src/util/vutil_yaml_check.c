/*
 * The YAML counterpart of vutil_json_check(): untrusted YAML text is read
 * first by libyaml, and only a stream libyaml finds well-formed reaches
 * libfyaml, whose tree keeps the positions vouch reports.
 *
 * Why two parsers: libfyaml 0.7.12 (Debian 12) corrupts its own memory on
 * some malformed streams — a crash in fy_parser_destroy() after a failed
 * explicit key, a double free in fy_fetch_value() with recycling off —
 * and fuzzing kept finding new shapes of it that a scan of the text could
 * not foresee. libyaml is a separate, long-fuzzed implementation; its
 * error paths are not libfyaml's, and a well-formed stream keeps libfyaml
 * off its own error paths.
 */
#include <stdbool.h>

#include <yaml.h>

#include "vutil_doc.h"
#include "vutil_error.h"

/* A reader error (bad encoding) has a byte offset, not a mark. Lines
 * are counted as the rest of the reader counts them (vutil_doc_load.c):
 * on "\n", "\r\n" and a lone "\r". */
static int reader_error(const yaml_parser_t *parser, const char *data,
                        size_t len, const char *source, vouch_error *err)
{
    size_t line_start = 0;
    int line = 1;

    for (size_t i = 0; i < parser->problem_offset && i < len; i++) {
        if (data[i] == '\n' ||
            (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n'))) {
            line++;
            line_start = i + 1;
        }
    }
    if (parser->problem_value >= 0) {
        return vutil_error_set(err, VOUCH_EPARSE, source, line,
                               (int)(parser->problem_offset - line_start + 1),
                               "%s (byte 0x%02x)", parser->problem,
                               (unsigned)parser->problem_value & 0xffu);
    }
    return vutil_error_set(err, VOUCH_EPARSE, source, line,
                           (int)(parser->problem_offset - line_start + 1),
                           "%s", parser->problem);
}

int vutil_yaml_check(const char *data, size_t len, const char *source,
                     vouch_error *err)
{
    yaml_parser_t parser;
    yaml_event_t event;
    bool done = false;
    int rc = 0;

    if (!yaml_parser_initialize(&parser)) {
        return vutil_error_set(err, VOUCH_ENOMEM, source, 0, 0,
                               "out of memory");
    }
    yaml_parser_set_input_string(&parser,
                                 (const unsigned char *)(data != NULL
                                                         ? data : ""),
                                 len);
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            if (parser.error == YAML_MEMORY_ERROR) {
                rc = vutil_error_set(err, VOUCH_ENOMEM, source, 0, 0,
                                     "out of memory");
            } else if (parser.error == YAML_READER_ERROR) {
                rc = reader_error(&parser, data, len, source, err);
            } else {
                rc = vutil_error_set(
                    err, VOUCH_EPARSE, source,
                    (int)parser.problem_mark.line + 1,
                    (int)parser.problem_mark.column + 1, "%s%s%s",
                    parser.problem != NULL ? parser.problem
                                           : "malformed YAML",
                    parser.context != NULL ? " " : "",
                    parser.context != NULL ? parser.context : "");
            }
            break;
        }
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return rc;
}
