/*
 * test_config_store.c — unit tests of ctl/config_store.c: round trip,
 * missing file, corrupt and invalid files, atomic replacement and stale
 * temp files, ofport helpers. Single-threaded; uses a temp directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/config_store.h"

struct fixture {
    char dir[64];
    char path[128];
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ctl-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/conf.json", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void
write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static json_t *
sample_doc(void)
{
    json_t *doc = ctl_config_new();
    json_object_set_new(ctl_config_global(doc), "pmd-cpu-mask",
                        json_string("0x2"));
    json_object_set_new(ctl_config_bridges(doc), "br0", json_pack(
        "{s:{s:{s:s, s:i, s:{s:s}, s:i, s:[i,i], s:s}}}", "ports", "p1",
        "type", "dpdk", "ofport", 1, "options", "dpdk-devargs", "net_null0",
        "tag", 10, "trunks", 20, 30, "vlan_mode", "native-tagged"));
    return doc;
}

static void
test_missing_file_is_empty(void **state)
{
    struct fixture *f = *state;
    json_t *doc;
    char err[256];
    assert_int_equal(ctl_config_load(f->path, &doc, err, sizeof err), 0);
    assert_int_equal(json_object_size(ctl_config_bridges(doc)), 0);
    assert_int_equal(json_object_size(ctl_config_global(doc)), 0);
    json_decref(doc);
}

static void
test_round_trip(void **state)
{
    struct fixture *f = *state;
    json_t *doc = sample_doc(), *back;
    char err[256];
    assert_int_equal(ctl_config_save(f->path, doc, err, sizeof err), 0);
    assert_int_equal(ctl_config_load(f->path, &back, err, sizeof err), 0);
    assert_true(json_equal(doc, back));
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    json_decref(doc);
    json_decref(back);
}

static void
test_corrupt_file_is_an_error(void **state)
{
    struct fixture *f = *state;
    write_file(f->path, "{\"format\": \"vswitch-config\", \"bridges\": {");
    json_t *doc = NULL;
    char err[512];
    int rc = ctl_config_load(f->path, &doc, err, sizeof err);
    assert_int_equal(rc, -EINVAL);
    assert_null(doc);
    assert_non_null(strstr(err, "corrupt"));
    assert_non_null(strstr(err, f->path));
    /* The file must be left for the operator, not wiped. */
    assert_int_equal(access(f->path, F_OK), 0);
}

static void
test_invalid_structure_is_an_error(void **state)
{
    struct fixture *f = *state;
    char err[512];
    json_t *doc;

    write_file(f->path, "[1, 2]");
    assert_int_equal(ctl_config_load(f->path, &doc, err, sizeof err),
                     -EINVAL);

    write_file(f->path, "{\"format\":\"vswitch-config\",\"version\":1,"
               "\"global\":{},\"bridges\":{\"br0\":{\"ports\":{\"p1\":"
               "{\"type\":\"dummy\",\"ofport\":0}}}}}");
    assert_int_equal(ctl_config_load(f->path, &doc, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "ofport"));

    write_file(f->path, "{\"format\":\"vswitch-config\",\"version\":1,"
               "\"global\":{},\"bridges\":{\"br0\":{\"ports\":{"
               "\"p1\":{\"type\":\"dummy\",\"ofport\":1},"
               "\"p2\":{\"type\":\"dummy\",\"ofport\":1}}}}}");
    assert_int_equal(ctl_config_load(f->path, &doc, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "share ofport"));

    write_file(f->path, "{\"format\":\"vswitch-config\",\"version\":1,"
               "\"global\":{},\"bridges\":{"
               "\"br0\":{\"ports\":{\"p1\":{\"type\":\"dummy\",\"ofport\":1}}},"
               "\"br1\":{\"ports\":{\"p1\":{\"type\":\"dummy\",\"ofport\":1}}}"
               "}}");
    assert_int_equal(ctl_config_load(f->path, &doc, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "appears in bridges"));

    write_file(f->path, "{\"format\":\"vswitch-config\",\"version\":1,"
               "\"global\":{\"pmd-cpu-mask\":2},\"bridges\":{}}");
    assert_int_equal(ctl_config_load(f->path, &doc, err, sizeof err),
                     -EINVAL);

    write_file(f->path, "{\"format\":\"vswitch-config\",\"version\":1,"
               "\"global\":{},\"bridges\":{\"br0\":{\"ports\":{},"
               "\"controller\":\"tcp:1.2.3.4\"}}}");
    assert_int_equal(ctl_config_load(f->path, &doc, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "'controller' must be an array"));

    write_file(f->path, "{\"format\":\"vswitch-config\",\"version\":1,"
               "\"global\":{},\"bridges\":{\"br0\":{\"ports\":{},"
               "\"fail_mode\":\"open\"}}}");
    assert_int_equal(ctl_config_load(f->path, &doc, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "'fail_mode' must be"));

    write_file(f->path, "{\"format\":\"vswitch-config\",\"version\":1,"
               "\"global\":{},\"bridges\":{\"br0\":{\"ports\":{},"
               "\"controller\":[\"ptcp:6653\"],\"fail_mode\":\"secure\"}}}");
    assert_int_equal(ctl_config_load(f->path, &doc, err, sizeof err), 0);
    json_decref(doc);
}

static void
test_unreadable_file_is_an_error(void **state)
{
    struct fixture *f = *state;
    /* A directory where the file should be: fopen succeeds, read fails. */
    assert_int_equal(mkdir(f->path, 0700), 0);
    json_t *doc = NULL;
    char err[512];
    assert_true(ctl_config_load(f->path, &doc, err, sizeof err) < 0);
    assert_null(doc);
    rmdir(f->path);
}

static int
count_temps(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '\\.tmp\\.' > %s/.count",
             dir, dir);
    if (system(cmd) < 0) {
        return -1;
    }
    char path[128];
    snprintf(path, sizeof path, "%s/.count", dir);
    FILE *fp = fopen(path, "r");
    int n = -1;
    if (fp) {
        if (fscanf(fp, "%d", &n) != 1) {
            n = -1;
        }
        fclose(fp);
    }
    unlink(path);
    return n;
}

static void
test_atomic_replace_leaves_old_or_new(void **state)
{
    struct fixture *f = *state;
    char err[256];
    json_t *old = sample_doc();
    assert_int_equal(ctl_config_save(f->path, old, err, sizeof err), 0);

    /* A crash between writing the temp file and the rename leaves the old
     * document in place plus a half-written temp: the old one loads and
     * the temp is cleaned up. */
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp.99999", f->path);
    write_file(tmp, "{\"format\": \"vswitch-con");
    json_t *back;
    assert_int_equal(ctl_config_load(f->path, &back, err, sizeof err), 0);
    assert_true(json_equal(old, back));
    json_decref(back);
    assert_int_equal(access(tmp, F_OK), -1);

    /* A completed save replaces the document entirely. */
    json_t *new = ctl_config_new();
    assert_int_equal(ctl_config_save(f->path, new, err, sizeof err), 0);
    assert_int_equal(ctl_config_load(f->path, &back, err, sizeof err), 0);
    assert_true(json_equal(new, back));
    assert_int_equal(count_temps(f->dir), 0);
    json_decref(back);
    json_decref(old);
    json_decref(new);
}

static void
test_save_to_missing_dir_fails(void **state)
{
    struct fixture *f = *state;
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/nodir/conf.json", f->dir);
    json_t *doc = ctl_config_new();
    int rc = ctl_config_save(path, doc, err, sizeof err);
    assert_int_equal(rc, -ENOENT);
    assert_non_null(strstr(err, "cannot create"));
    json_decref(doc);
}

static void
test_lock_is_exclusive(void **state)
{
    struct fixture *f = *state;
    char err[256];
    int fd = ctl_config_lock(f->path, err, sizeof err);
    assert_true(fd >= 0);
    /* flock locks conflict between open file descriptions, even in one
     * process, which stands in for a second daemon here. */
    assert_int_equal(ctl_config_lock(f->path, err, sizeof err), -EBUSY);
    assert_non_null(strstr(err, "in use by another vswitchd"));
    close(fd);
    fd = ctl_config_lock(f->path, err, sizeof err);
    assert_true(fd >= 0);
    close(fd);
}

static void
test_ofport_helpers(void **state)
{
    (void) state;
    json_t *doc = sample_doc();
    assert_int_equal(ctl_config_free_ofport(doc, "br0"), 2);
    assert_string_equal(ctl_config_ofport_owner(doc, "br0", 1), "p1");
    assert_null(ctl_config_ofport_owner(doc, "br0", 2));
    const char *bridge = NULL;
    assert_non_null(ctl_config_find_port(doc, "p1", &bridge));
    assert_string_equal(bridge, "br0");
    assert_null(ctl_config_find_port(doc, "p9", NULL));
    json_decref(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_file_is_empty, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_file_is_an_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invalid_structure_is_an_error,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_file_is_an_error,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_replace_leaves_old_or_new,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_to_missing_dir_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lock_is_exclusive, setup,
                                        teardown),
        cmocka_unit_test(test_ofport_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
