/*
 * YAML: printing a json_t in the style of `gcloud ... export` (the util
 * layer's printer, src/util/vutil_yaml.h). Loading is the util layer's
 * (vutil_doc.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "vutil_yaml.h"

/* ---- printing ------------------------------------------------------- */

/* The printer is the util layer's, in gcloud's quoting (vutil_yaml.h). */
int vouch__yaml_from_json(const json_t *root, char **out, size_t *out_len,
                          vouch_error *err)
{
    return vutil_yaml_from_json(root, VUTIL_YAML_GCLOUD, out, out_len, err);
}
