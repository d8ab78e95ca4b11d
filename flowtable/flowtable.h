/*
 * flowtable.h — the flowtable module: flow key and mask types, the sparse
 * key (miniflow), the NORMAL action (MAC learning), the OpenFlow classifier
 * and the meter table. Tables, instructions, groups and xlate join here.
 *
 * The pieces are separate interfaces and live in their own headers; this
 * header is the module's one entry point.
 */
#ifndef VSWITCH_FLOWTABLE_FLOWTABLE_H
#define VSWITCH_FLOWTABLE_FLOWTABLE_H

#include "ft_key.h"
#include "ft_match.h"
#include "ft_normal.h"
#include "ft_classifier.h"
#include "ft_meter.h"

#endif
