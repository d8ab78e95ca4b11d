/*
 * config_store.c — load, validate and atomically save the daemon's JSON
 * configuration document (see config_store.h).
 *
 * Threads: main thread only.
 */
#include "ctl/config_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl_args.h"

#define CONFIG_FORMAT "vswitch-config"
/* Temp files are "<name>.tmp.<pid>": unique per writer, easy to recognise. */
#define TMP_INFIX ".tmp."

json_t *
ctl_config_new(void)
{
    return json_pack("{s:s, s:i, s:{}, s:{}}", "format", CONFIG_FORMAT,
                     "version", CTL_CONFIG_VERSION, "global", "bridges");
}

/* Splits 'path' into a directory (malloc'd) and a base name pointer. */
static char *
path_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy) {
        return NULL;
    }
    char *dir = strdup(dirname(copy));
    free(copy);
    return dir;
}

static const char *
path_base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Removes "<base>.tmp.*" files a crashed writer left behind. They are
 * never the truth: the rename that would have published them did not
 * happen. */
static void
remove_stale_temps(const char *path)
{
    char *dir = path_dir(path);
    if (!dir) {
        return;
    }
    DIR *d = opendir(dir);
    if (d) {
        const char *base = path_base(path);
        size_t blen = strlen(base);
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strncmp(de->d_name, base, blen)
                && !strncmp(de->d_name + blen, TMP_INFIX,
                            strlen(TMP_INFIX))) {
                char full[4096];
                snprintf(full, sizeof full, "%s/%s", dir, de->d_name);
                unlink(full);
            }
        }
        closedir(d);
    }
    free(dir);
}

static int
check_string_map(const json_t *obj, const char *what, char *err,
                 size_t errlen)
{
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "%s must be an object", what);
        return -EINVAL;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *) obj, key, value) {
        if (!json_is_string(value)) {
            snprintf(err, errlen, "%s: value of '%s' must be a string", what,
                     key);
            return -EINVAL;
        }
    }
    return 0;
}

/* "controller": an array of target strings; "fail_mode": "standalone"
 * or "secure" (the targets themselves are checked when applied, and a bad
 * one only logged, so an edited store never keeps the daemon down). */
static int
check_bridge_openflow(const char *bname, const json_t *bridge, char *err,
                      size_t errlen)
{
    json_t *ctls = json_object_get(bridge, "controller");
    if (ctls) {
        size_t i;
        json_t *t;
        bool ok = json_is_array(ctls);
        json_array_foreach(ctls, i, t) {
            ok = ok && json_is_string(t);
        }
        if (!ok) {
            snprintf(err, errlen, "bridge '%s': 'controller' must be an "
                     "array of target strings", bname);
            return -EINVAL;
        }
    }
    json_t *mode = json_object_get(bridge, "fail_mode");
    const char *m = json_string_value(mode);
    if (mode && (!m || (strcmp(m, "standalone") && strcmp(m, "secure")))) {
        snprintf(err, errlen, "bridge '%s': 'fail_mode' must be "
                 "\"standalone\" or \"secure\"", bname);
        return -EINVAL;
    }
    return 0;
}

static int
check_port(const char *bridge, const char *name, const json_t *port,
           char *err, size_t errlen)
{
    char what[300];
    snprintf(what, sizeof what, "port '%s' of bridge '%s'", name, bridge);
    if (!json_is_object(port)) {
        snprintf(err, errlen, "%s must be an object", what);
        return -EINVAL;
    }
    if (!json_is_string(json_object_get(port, "type"))) {
        snprintf(err, errlen, "%s has no 'type' string", what);
        return -EINVAL;
    }
    json_t *ofport = json_object_get(port, "ofport");
    if (!json_is_integer(ofport) || json_integer_value(ofport) < 1
        || json_integer_value(ofport) > 0xfeff) {
        snprintf(err, errlen, "%s has no valid 'ofport' (1..65279)", what);
        return -EINVAL;
    }
    json_t *options = json_object_get(port, "options");
    if (options) {
        char owhat[320];
        snprintf(owhat, sizeof owhat, "options of %s", what);
        int rc = check_string_map(options, owhat, err, errlen);
        if (rc) {
            return rc;
        }
    }
    json_t *tag = json_object_get(port, "tag");
    if (tag && (!json_is_integer(tag) || json_integer_value(tag) < 0
                || json_integer_value(tag) > 4095)) {
        snprintf(err, errlen, "%s: 'tag' must be a VLAN 0..4095", what);
        return -EINVAL;
    }
    json_t *trunks = json_object_get(port, "trunks");
    if (trunks) {
        if (!json_is_array(trunks)) {
            snprintf(err, errlen, "%s: 'trunks' must be an array", what);
            return -EINVAL;
        }
        size_t i;
        json_t *v;
        json_array_foreach(trunks, i, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 0
                || json_integer_value(v) > 4095) {
                snprintf(err, errlen, "%s: 'trunks' must hold VLANs 0..4095",
                         what);
                return -EINVAL;
            }
        }
    }
    json_t *mode = json_object_get(port, "vlan_mode");
    if (mode && (!json_is_string(mode)
                 || !ctl_args_vlan_mode_valid(json_string_value(mode)))) {
        snprintf(err, errlen, "%s: 'vlan_mode' must be access, trunk, "
                 "native-tagged or native-untagged", what);
        return -EINVAL;
    }
    return 0;
}

int
ctl_config_validate(const json_t *doc, char *err, size_t errlen)
{
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "top level must be a JSON object");
        return -EINVAL;
    }
    const char *format = json_string_value(json_object_get(doc, "format"));
    if (!format || strcmp(format, CONFIG_FORMAT)) {
        snprintf(err, errlen, "not a vswitch config (\"format\" is not "
                 "\"%s\")", CONFIG_FORMAT);
        return -EINVAL;
    }
    json_t *version = json_object_get(doc, "version");
    if (!json_is_integer(version)
        || json_integer_value(version) != CTL_CONFIG_VERSION) {
        snprintf(err, errlen, "unsupported config version (expected %d)",
                 CTL_CONFIG_VERSION);
        return -EINVAL;
    }
    int rc = check_string_map(json_object_get(doc, "global"), "'global'",
                              err, errlen);
    if (rc) {
        return rc;
    }
    json_t *bridges = json_object_get(doc, "bridges");
    if (!json_is_object(bridges)) {
        snprintf(err, errlen, "'bridges' must be an object");
        return -EINVAL;
    }
    const char *bname;
    json_t *bridge;
    json_object_foreach(bridges, bname, bridge) {
        json_t *ports = json_object_get(bridge, "ports");
        if (!json_is_object(bridge) || !json_is_object(ports)) {
            snprintf(err, errlen, "bridge '%s' must be an object with a "
                     "'ports' object", bname);
            return -EINVAL;
        }
        rc = check_bridge_openflow(bname, bridge, err, errlen);
        if (rc) {
            return rc;
        }
        const char *pname;
        json_t *port;
        json_object_foreach(ports, pname, port) {
            rc = check_port(bname, pname, port, err, errlen);
            if (rc) {
                return rc;
            }
            /* Port names are global (the datapath's namespace). */
            const char *other;
            json_t *doc_mut = (json_t *) doc;
            if (ctl_config_find_port(doc_mut, pname, &other) != port) {
                snprintf(err, errlen, "port '%s' appears in bridges '%s' "
                         "and '%s'", pname, other, bname);
                return -EINVAL;
            }
            unsigned int ofport = json_integer_value(
                json_object_get(port, "ofport"));
            const char *owner = ctl_config_ofport_owner(doc_mut, bname,
                                                        ofport);
            if (owner && strcmp(owner, pname)) {
                snprintf(err, errlen, "ports '%s' and '%s' of bridge '%s' "
                         "share ofport %u", owner, pname, bname, ofport);
                return -EINVAL;
            }
        }
    }
    return 0;
}

int
ctl_config_load(const char *path, json_t **docp, char *err, size_t errlen)
{
    *docp = NULL;
    remove_stale_temps(path);

    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        if (e == ENOENT) {
            *docp = ctl_config_new();
            return 0;
        }
        snprintf(err, errlen, "cannot read config store %s: %s", path,
                 strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
        fclose(f);
        snprintf(err, errlen, "config store %s is not a regular file", path);
        return -EINVAL;
    }
    json_error_t jerr;
    json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!doc) {
        snprintf(err, errlen, "config store %s is corrupt: %s at line %d "
                 "column %d (fix or remove the file; it was left untouched)",
                 path, jerr.text, jerr.line, jerr.column);
        return -EINVAL;
    }
    char why[400];
    int rc = ctl_config_validate(doc, why, sizeof why);
    if (rc) {
        json_decref(doc);
        snprintf(err, errlen, "config store %s is invalid: %s (fix or remove "
                 "the file; it was left untouched)", path, why);
        return rc;
    }
    *docp = doc;
    return 0;
}

int
ctl_config_lock(const char *path, char *err, size_t errlen)
{
    char lock_path[4096];
    if ((size_t) snprintf(lock_path, sizeof lock_path, "%s.lock", path)
        >= sizeof lock_path) {
        snprintf(err, errlen, "config path too long");
        return -ENAMETOOLONG;
    }
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open lock file %s: %s", lock_path,
                 strerror(e));
        return -e;
    }
    /* flock() locks die with the process, so a SIGKILLed daemon never
     * leaves a stale lock behind. */
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            snprintf(err, errlen, "config store %s is in use by another "
                     "vswitchd", path);
            return -EBUSY;
        }
        snprintf(err, errlen, "cannot lock %s: %s", lock_path, strerror(e));
        return -e;
    }
    return fd;
}

static int
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        data += n;
        len -= n;
    }
    return 0;
}

int
ctl_config_save(const char *path, const json_t *doc, char *err, size_t errlen)
{
    char *text = json_dumps(doc, JSON_INDENT(2));
    if (!text) {
        snprintf(err, errlen, "cannot encode config");
        return -ENOMEM;
    }
    char tmp[4096];
    if ((size_t) snprintf(tmp, sizeof tmp, "%s" TMP_INFIX "%ld", path,
                          (long) getpid()) >= sizeof tmp) {
        free(text);
        snprintf(err, errlen, "config path too long");
        return -ENAMETOOLONG;
    }
    unlink(tmp);   /* ours from an earlier failed save, at worst */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;
        free(text);
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(e));
        return -e;
    }
    int rc = write_all(fd, text, strlen(text));
    if (!rc) {
        rc = write_all(fd, "\n", 1);
    }
    free(text);
    if (!rc && fsync(fd) < 0) {
        rc = -errno;
    }
    if (close(fd) < 0 && !rc) {
        rc = -errno;
    }
    if (rc) {
        unlink(tmp);
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(-rc));
        return rc;
    }
    if (rename(tmp, path) < 0) {
        rc = -errno;
        unlink(tmp);
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
                 strerror(-rc));
        return rc;
    }
    /* The rename is durable only once the directory entry is on disk. */
    char *dir = path_dir(path);
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    free(dir);
    if (dfd < 0 || fsync(dfd) < 0) {
        rc = -errno;
        if (dfd >= 0) {
            close(dfd);
        }
        snprintf(err, errlen, "cannot sync directory of %s: %s", path,
                 strerror(-rc));
        return rc;
    }
    close(dfd);
    return 0;
}

/* ---- accessors ---------------------------------------------------------- */

static json_t *
object_ensure(json_t *parent, const char *key)
{
    json_t *obj = json_object_get(parent, key);
    if (!json_is_object(obj)) {
        obj = json_object();
        json_object_set_new(parent, key, obj);
    }
    return obj;
}

json_t *
ctl_config_global(json_t *doc)
{
    return object_ensure(doc, "global");
}

json_t *
ctl_config_bridges(json_t *doc)
{
    return object_ensure(doc, "bridges");
}

json_t *
ctl_config_bridge(json_t *doc, const char *bridge)
{
    return json_object_get(json_object_get(doc, "bridges"), bridge);
}

json_t *
ctl_config_bridge_ports(json_t *doc, const char *bridge)
{
    return json_object_get(ctl_config_bridge(doc, bridge), "ports");
}

json_t *
ctl_config_find_port(json_t *doc, const char *port, const char **bridgep)
{
    const char *bname;
    json_t *bridge;
    json_object_foreach(json_object_get(doc, "bridges"), bname, bridge) {
        json_t *p = json_object_get(json_object_get(bridge, "ports"), port);
        if (p) {
            if (bridgep) {
                *bridgep = bname;
            }
            return p;
        }
    }
    return NULL;
}

const char *
ctl_config_ofport_owner(json_t *doc, const char *bridge, unsigned int ofport)
{
    const char *pname;
    json_t *port;
    json_object_foreach(ctl_config_bridge_ports(doc, bridge), pname, port) {
        if (json_integer_value(json_object_get(port, "ofport"))
            == (json_int_t) ofport) {
            return pname;
        }
    }
    return NULL;
}

unsigned int
ctl_config_free_ofport(json_t *doc, const char *bridge)
{
    for (unsigned int ofport = 1; ofport <= 0xfeff; ofport++) {
        if (!ctl_config_ofport_owner(doc, bridge, ofport)) {
            return ofport;
        }
    }
    return 0;
}
