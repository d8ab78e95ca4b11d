/*
 * ctl_format.h — vswitch-ctl's human-readable output: aligned tables and
 * the OVS-like 'show' tree, each rendered from the daemon's JSON result.
 * Missing members print as "-" so an older or newer daemon never crashes
 * the client.
 *
 * Single-threaded (vswitch-ctl); writes to the given FILE.
 */
#ifndef VSWITCH_CTL_CTL_FORMAT_H
#define VSWITCH_CTL_CTL_FORMAT_H

#include <stdio.h>
#include <jansson.h>

typedef void ctl_format_fn(FILE *, const json_t *result);

ctl_format_fn ctl_format_lines;          /* array of strings, one a line */
ctl_format_fn ctl_format_show;
ctl_format_fn ctl_format_global;
ctl_format_fn ctl_format_fdb;
ctl_format_fn ctl_format_port_stats;
ctl_format_fn ctl_format_pmd_stats;
ctl_format_fn ctl_format_pmd_rxq;
ctl_format_fn ctl_format_memory;
ctl_format_fn ctl_format_dp_flows;        /* dump-dp-flows: aligned table */
ctl_format_fn ctl_format_pmd_perf;        /* pmd-perf-show: aligned table */
ctl_format_fn ctl_format_trace;           /* trace: the walk, then results */
ctl_format_fn ctl_format_optional_string; /* a string, nothing for null */
ctl_format_fn ctl_format_generic;        /* anything else: indented JSON */

#endif
