/*
 * pcap.h — minimal reader and writer of classic libpcap capture files
 * (Ethernet link type), for vswitch-ctl's dummy-inject --pcap and
 * dummy-capture --pcap. Reads both byte orders and the nanosecond variant.
 *
 * Single-threaded; plain stdio.
 */
#ifndef VSWITCH_CTL_PCAP_H
#define VSWITCH_CTL_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ctl_pcap_reader {
    FILE *f;
    bool swapped;       /* file written on a host of the other byte order */
};

int ctl_pcap_open_read(const char *path, struct ctl_pcap_reader *,
                       char *err, size_t errlen);
/* Reads the next frame into a malloc'd buffer. Returns 1 with a frame, 0 at
 * the end of the file, -errno on a truncated or corrupt record. */
int ctl_pcap_read(struct ctl_pcap_reader *, uint8_t **frame, size_t *len,
                  char *err, size_t errlen);
void ctl_pcap_close_read(struct ctl_pcap_reader *);

/* Creates 'path' with a pcap header; returns NULL with 'err' set. */
FILE *ctl_pcap_open_write(const char *path, char *err, size_t errlen);
int ctl_pcap_write(FILE *, const uint8_t *frame, size_t len);

#endif
