/*
 * flowtable.h — the flowtable module: flow key and mask types, the sparse
 * key (miniflow), the NORMAL action (MAC learning), the OpenFlow classifier
 * the meter table, actions and instructions, groups, the pipeline of
 * tables, datapath actions and xlate.
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
#include "ft_ofp.h"
#include "ft_action.h"
#include "ft_group.h"
#include "ft_pipeline.h"
#include "ft_dpact.h"
#include "ft_xlate.h"

#endif
