/*
 * gen_seeds.c — writes the fuzz seed corpus for fuzz_parse: one file per
 * frame of the unit tests' catalogue (tests/unit/key/frames.c), so the
 * fuzzer starts from a valid frame of every protocol the parser knows.
 *
 * Usage: gen_seeds DIR [STAMP]   (creates DIR; touches STAMP when done)
 * Run by the build (tests/fuzz/meson.build) into the build directory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "frames.h"

static int
make_dirs(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);

    if (len >= sizeof buf) {
        return -ENAMETOOLONG;
    }
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) && errno != EEXIST) {
                return -errno;
            }
            *p = '/';
        }
    }
    if (mkdir(buf, 0755) && errno != EEXIST) {
        return -errno;
    }
    return 0;
}

static int
write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int error = 0;

    if (!f) {
        return -errno;
    }
    if (len && fwrite(data, 1, len, f) != len) {
        error = -EIO;
    }
    if (fclose(f) && !error) {
        error = -errno;
    }
    return error;
}

int
main(int argc, char *argv[])
{
    static struct test_frame frames[64];
    size_t n = frames_catalogue(frames, 64);
    char path[4096];
    int error;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [STAMP]\n", argv[0]);
        return 2;
    }
    error = make_dirs(argv[1]);
    if (error) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(-error));
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", argv[1], frames[i].name);
        error = write_file(path, frames[i].frame.data, frames[i].frame.len);
        if (error) {
            fprintf(stderr, "%s: %s\n", path, strerror(-error));
            return 1;
        }
    }
    if (argc > 2 && write_file(argv[2], "", 0)) {
        fprintf(stderr, "%s: cannot write\n", argv[2]);
        return 1;
    }
    return 0;
}
