/*
 * oftext_samples.c — sample multipart replies (group and meter stats,
 * tables, ports, port descriptions, aggregate) shared by oftext_tool and
 * test_of_text: the cross-check feeds them to ovs-ofctl, the unit test
 * compares our text with what ovs-ofctl printed for them.
 *
 * The values exercise the printing rules: "?" for all-ones counters,
 * durations of every precision, reserved port and meter numbers, unknown
 * port bits, a 16-character port name, equal table rows ("ditto").
 */
#include <stdint.h>
#include <string.h>

#include "oftext_samples.h"

static void
reply_init(struct of_msg *msg, uint16_t mp_type)
{
    of_msg_init(msg, OFPT_MULTIPART_REPLY, 2);
    msg->multipart.type = mp_type;
}

int
oftext_sample_reply(const char *kind, struct of_msg *msg)
{
    if (!strcmp(kind, "group-stats")) {
        static struct of_counter_pair b0[] = { { 10, 1000 }, { 20, 2000 } };
        static struct of_group_stats gs[] = {
            { .group_id = 1, .ref_count = 2, .packet_count = 30,
              .byte_count = 3000, .duration_sec = 5, .duration_nsec = 500000000,
              .bucket_stats = { b0, 2 } },
            { .group_id = 4294967040u, .duration_sec = 0, .duration_nsec = 1 },
        };
        reply_init(msg, OFPMP_GROUP);
        msg->multipart.group_stats.items = gs;
        msg->multipart.group_stats.n = 2;
    } else if (!strcmp(kind, "meter-stats")) {
        static struct of_counter_pair b0[] = { { 7, 700 }, { 8, 800 } };
        static struct of_meter_stats ms[] = {
            { .meter_id = 1, .flow_count = 3, .packet_in_count = 100,
              .byte_in_count = 10000, .duration_sec = 12,
              .duration_nsec = 345000000, .band_stats = { b0, 2 } },
            { .meter_id = 0xfffffffeu, .duration_sec = 1 },
        };
        reply_init(msg, OFPMP_METER);
        msg->multipart.meter_stats.items = ms;
        msg->multipart.meter_stats.n = 2;
    } else if (!strcmp(kind, "tables")) {
        /* single and ranged "ditto" rows, and a gap in the table ids */
        static struct of_table_stats ts[] = {
            { 0, 5, 1000, 900 }, { 1, 0, 0, 0 }, { 2, 0, 0, 0 },
            { 3, 0, 0, 0 }, { 4, 0, 0, 0 }, { 5, 1, 10, 10 },
            { 6, 1, 10, 10 }, { 7, 0, 0, 0 }, { 9, 0, 0, 0 },
            { 10, 0, 0, 0 }, { 253, 2, 3, 4 },
        };
        reply_init(msg, OFPMP_TABLE);
        msg->multipart.tables.items = ts;
        msg->multipart.tables.n = sizeof ts / sizeof ts[0];
    } else if (!strcmp(kind, "ports")) {
        static struct of_port_stats ps[] = {
            { .port_no = 1, .rx_packets = 10, .tx_packets = 20, .rx_bytes = 1000,
              .tx_bytes = 2000, .rx_dropped = 1, .tx_dropped = 2,
              .rx_errors = 3, .tx_errors = 4, .rx_frame_err = 5,
              .rx_over_err = 6, .rx_crc_err = 7, .collisions = 8,
              .duration_sec = 100, .duration_nsec = 250000000 },
            { .port_no = 0xfffffffeu, .rx_packets = UINT64_MAX,
              .tx_packets = 0, .rx_bytes = UINT64_MAX, .tx_bytes = 0,
              .rx_dropped = UINT64_MAX, .tx_dropped = UINT64_MAX,
              .rx_errors = UINT64_MAX, .tx_errors = UINT64_MAX,
              .rx_frame_err = UINT64_MAX, .rx_over_err = UINT64_MAX,
              .rx_crc_err = UINT64_MAX, .collisions = UINT64_MAX,
              .duration_sec = 3 },
            { .port_no = 12345 },
            { .port_no = 4, .rx_packets = 1, .duration_sec = UINT32_MAX,
              .duration_nsec = UINT32_MAX },
        };
        reply_init(msg, OFPMP_PORT_STATS);
        msg->multipart.port_stats.items = ps;
        msg->multipart.port_stats.n = sizeof ps / sizeof ps[0];
    } else if (!strcmp(kind, "port-desc")) {
        static struct of_port ports[] = {
            { .port_no = 1, .hw_addr = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
              .name = "eth1", .config = 0, .state = 4,
              .curr = 0x2840, .advertised = 0x2840, .supported = 0x284f,
              .peer = 0, .curr_speed = 10000000, .max_speed = 10000000 },
            { .port_no = 0xfffffffeu, .hw_addr = { 2, 0, 0, 0, 0, 1 },
              .name = "br0", .config = 1, .state = 1 },
            { .port_no = 7, .name = "vm7", .config = 0x65, .state = 6,
              .curr = 0xffff, .advertised = 0x3000, .peer = 0x20,
              .curr_speed = 10000 },
            { .port_no = 3, .name = "sixteen-chars-xy", .config = 0x2,
              .state = 0x8, .supported = 0x10000, .max_speed = 999 },
        };
        reply_init(msg, OFPMP_PORT_DESC);
        msg->multipart.ports.items = ports;
        msg->multipart.ports.n = sizeof ports / sizeof ports[0];
    } else if (!strcmp(kind, "aggregate")) {
        reply_init(msg, OFPMP_AGGREGATE);
        msg->multipart.aggregate.packet_count = 123;
        msg->multipart.aggregate.byte_count = 45678;
        msg->multipart.aggregate.flow_count = 9;
    } else {
        return -1;
    }
    return 0;
}

