/*
 * pcap.c — classic pcap file reading and writing (see pcap.h).
 * Single-threaded (vswitch-ctl).
 */
#include "ctl/pcap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_LINKTYPE_ETHERNET 1
/* Larger than any frame the datapath accepts; guards against garbage
 * lengths in a corrupt file. */
#define PCAP_MAX_RECORD 262144

struct pcap_file_header {
    uint32_t magic;
    uint16_t version_major, version_minor;
    int32_t thiszone;
    uint32_t sigfigs, snaplen, linktype;
};

struct pcap_record_header {
    uint32_t ts_sec, ts_frac, incl_len, orig_len;
};

static uint32_t
fix32(const struct ctl_pcap_reader *r, uint32_t v)
{
    return r->swapped ? __builtin_bswap32(v) : v;
}

int
ctl_pcap_open_read(const char *path, struct ctl_pcap_reader *r, char *err,
                   size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->f = fopen(path, "rb");
    if (!r->f) {
        int e = errno;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
        return -e;
    }
    struct pcap_file_header h;
    if (fread(&h, sizeof h, 1, r->f) != 1) {
        snprintf(err, errlen, "%s is not a pcap file (too short)", path);
        goto bad;
    }
    if (h.magic == PCAP_MAGIC_US || h.magic == PCAP_MAGIC_NS) {
        r->swapped = false;
    } else if (__builtin_bswap32(h.magic) == PCAP_MAGIC_US
               || __builtin_bswap32(h.magic) == PCAP_MAGIC_NS) {
        r->swapped = true;
    } else {
        snprintf(err, errlen, "%s is not a classic pcap file (pcapng is not "
                 "supported; convert with 'editcap -F pcap')", path);
        goto bad;
    }
    if (fix32(r, h.linktype) != PCAP_LINKTYPE_ETHERNET) {
        snprintf(err, errlen, "%s has link type %u; only Ethernet (1) is "
                 "supported", path, fix32(r, h.linktype));
        goto bad;
    }
    return 0;
bad:
    fclose(r->f);
    r->f = NULL;
    return -EINVAL;
}

int
ctl_pcap_read(struct ctl_pcap_reader *r, uint8_t **frame, size_t *len,
              char *err, size_t errlen)
{
    struct pcap_record_header rh;
    size_t n = fread(&rh, 1, sizeof rh, r->f);
    if (n == 0 && feof(r->f)) {
        return 0;
    }
    if (n != sizeof rh) {
        snprintf(err, errlen, "truncated pcap record header");
        return -EINVAL;
    }
    uint32_t incl = fix32(r, rh.incl_len);
    if (incl > PCAP_MAX_RECORD) {
        snprintf(err, errlen, "corrupt pcap record (length %u)", incl);
        return -EINVAL;
    }
    uint8_t *buf = malloc(incl ? incl : 1);
    if (!buf) {
        return -ENOMEM;
    }
    if (fread(buf, 1, incl, r->f) != incl) {
        free(buf);
        snprintf(err, errlen, "truncated pcap record (%u bytes expected)",
                 incl);
        return -EINVAL;
    }
    *frame = buf;
    *len = incl;
    return 1;
}

void
ctl_pcap_close_read(struct ctl_pcap_reader *r)
{
    if (r->f) {
        fclose(r->f);
        r->f = NULL;
    }
}

FILE *
ctl_pcap_open_write(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return NULL;
    }
    struct pcap_file_header h = {
        .magic = PCAP_MAGIC_US, .version_major = 2, .version_minor = 4,
        .snaplen = PCAP_MAX_RECORD, .linktype = PCAP_LINKTYPE_ETHERNET,
    };
    if (fwrite(&h, sizeof h, 1, f) != 1) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    return f;
}

int
ctl_pcap_write(FILE *f, const uint8_t *frame, size_t len)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct pcap_record_header rh = {
        .ts_sec = (uint32_t) tv.tv_sec, .ts_frac = (uint32_t) tv.tv_usec,
        .incl_len = (uint32_t) len, .orig_len = (uint32_t) len,
    };
    if (fwrite(&rh, sizeof rh, 1, f) != 1 || fwrite(frame, 1, len, f) != len) {
        return -EIO;
    }
    return 0;
}
