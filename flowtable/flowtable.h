/*
 * flowtable.h — the flowtable module: flow key and mask types, the sparse
 * key (miniflow), and the NORMAL action (MAC learning). The OpenFlow
 * classifier, tables, groups, meters and xlate join here (issue 4).
 *
 * The pieces are separate interfaces and live in their own headers; this
 * header is the module's one entry point.
 */
#ifndef VSWITCH_FLOWTABLE_FLOWTABLE_H
#define VSWITCH_FLOWTABLE_FLOWTABLE_H

#include "ft_key.h"
#include "ft_match.h"
#include "ft_normal.h"

#endif
