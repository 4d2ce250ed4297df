/*
 * Runs a libFuzzer target over files and directories given on the command
 * line, without libFuzzer: the seed corpus becomes a regression test in
 * every build (gcc included), and under ASan/UBSan in the sanitizer build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = NULL;
    uint8_t *buf = NULL;
    long size;
    int rc = 1;

    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        goto cleanup;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        goto cleanup;
    }
    buf = malloc((size_t)size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "%s: cannot read\n", path);
        goto cleanup;
    }
    LLVMFuzzerTestOneInput(buf, (size_t)size);
    rc = 0;

cleanup:
    free(buf);
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

static int run_path(const char *path, int *count)
{
    struct stat st;
    DIR *dir;
    struct dirent *ent;
    int rc = 0;

    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    dir = opendir(path);
    if (dir == NULL) {
        perror(path);
        return 1;
    }
    while ((ent = readdir(dir)) != NULL) {
        char child[4096];

        if (ent->d_name[0] == '.') {
            continue;
        }
        snprintf(child, sizeof(child), "%s/%s", path, ent->d_name);
        rc |= run_path(child, count);
    }
    closedir(dir);
    return rc;
}

int main(int argc, char **argv)
{
    int count = 0;
    int rc = 0;
    int i;

    for (i = 1; i < argc; i++) {
        rc |= run_path(argv[i], &count);
    }
    if (count == 0) {
        fprintf(stderr, "no corpus files found\n");
        return 1;
    }
    printf("%d inputs run\n", count);
    return rc;
}
