/*
 * vswitch-ctl.h — what the files of the vswitch-ctl program share
 * (private to it): the command table's types, the client options and the
 * helpers every command uses. vswitch-ctl.c holds the configuration
 * commands and main; vswitch-ctl-of.c the OpenFlow commands.
 *
 * Single-threaded.
 */
#ifndef VSWITCH_CTL_VSWITCH_CTL_H
#define VSWITCH_CTL_VSWITCH_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl/ctl_format.h"
#include "ctl/rpc_client.h"
#include "lib/util.h"

struct client_opts {
    const char *unixctl;
    bool json;
    int timeout_ms;
};

struct command;
typedef int command_fn(const struct command *, const struct client_opts *,
                       int argc, char *argv[]);
typedef int validate_fn(int argc, char *argv[], char *err, size_t errlen);

struct command {
    const char *name;
    const char *args;
    const char *help;
    int min_args, max_args;     /* max < 0: unbounded */
    validate_fn *validate;      /* client-side checks, may be NULL */
    ctl_format_fn *format;      /* NULL: print nothing on success */
    command_fn *run;            /* NULL: plain request/response */
};

/* Prints "vswitch-ctl: <message>" on stderr; returns 1 (the exit
 * status). */
int fail(const char *fmt, ...) PRINTF_FORMAT(1, 2);
/* Connects to the daemon's control socket (prints the error). 0 or 1. */
int connect_daemon(const struct client_opts *, struct ctl_rpc_client **);
/* One unixctl request named like the command; prints the result. */
int run_simple(const struct command *, const struct client_opts *,
               int argc, char *argv[]);

/* The OpenFlow commands (vswitch-ctl-of.c): add-flow ... meter-stats. */
extern const struct command ctl_of_commands[];
extern const size_t ctl_n_of_commands;

#endif
