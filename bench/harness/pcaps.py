"""Traffic and rule files for the side-by-side benchmark.

Everything the contenders replay is generated here, deterministically, into a
cache directory (regenerated only when missing), so every contender sees
byte-identical input:

* ``udp_flows(n)``: 64-byte frames (60 bytes captured + 4 bytes FCS on the
  wire) of ``n`` distinct UDP flows from 02:00:00:00:00:01 to
  02:00:00:00:00:02.  Flow ``i`` is 10.0.0.0+i -> 10.1.0.0+(i % 1000),
  UDP 1024+(i % 60000) -> 5001, so the 1,000 ``/32`` destination rules of the
  routing scenario cover every flow.  A file holds at least ``MIN_PACKETS``
  frames (flows repeated in order) because net_pcap's ``infinite_rx`` replays
  from a ring and a one-packet ring would give one-packet bursts.
* ``vxlan_flows(n)``: the same inner frames, VXLAN-encapsulated (VNI 100)
  from VTEP 192.168.0.2 to 192.168.0.1, outer UDP source port from the inner
  flow as real VTEPs do (110-byte frames).
* ``learn_frame()``: one broadcast frame *from* 02:00:00:00:00:02, replayed
  once on the output port of the NORMAL scenarios so the destination is
  learned there.
* ``new_flows(n)``: ``n`` frames, each a new flow (unique source MAC, source
  IP and port), read once (not ``infinite_rx``) for the flow-setup scenario.
* ``flow_mods(n)``: ``n`` distinct OpenFlow rules in ovs-ofctl syntax for the
  flow_mod rate scenario.

Only the standard library is used; pcap files are classic little-endian
microsecond pcap, linktype Ethernet.
"""

import os
import struct

MIN_PACKETS = 4096
SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")
FRAME_LEN = 60          # captured bytes; 64 on the wire with the FCS
N_DESTINATIONS = 1000   # /32 routes in the routing scenario

_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


def _ip_checksum(header):
    total = sum(struct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def _ipv4(src, dst, proto, payload_len):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 0, 0x4000,
                      64, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", _ip_checksum(hdr)) + hdr[12:]


def _ip(base, offset):
    return struct.pack("!I", base + offset)


def udp_frame(src_ip, dst_ip, sport, dport, src_mac=SRC_MAC, dst_mac=DST_MAC,
              length=FRAME_LEN):
    """One Ethernet/IPv4/UDP frame of 'length' bytes (zero payload)."""
    udp_len = length - 14 - 20
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + bytes(udp_len - 8)
    return dst_mac + src_mac + b"\x08\x00" + _ipv4(src_ip, dst_ip, 17,
                                                   udp_len) + udp


def flow_frame(i):
    """The frame of flow number 'i' (see the module docstring)."""
    return udp_frame(_ip(0x0A000000, i), _ip(0x0A010000, i % N_DESTINATIONS),
                     1024 + i % 60000, 5001)


def vxlan_frame(i):
    inner = flow_frame(i)
    vxlan = struct.pack("!II", 0x08000000, 100 << 8)
    sport = 49152 + (i * 2654435761 % 16384)
    udp = struct.pack("!HHHH", sport, 4789, 8 + len(vxlan) + len(inner), 0)
    ip = _ipv4(bytes([192, 168, 0, 2]), bytes([192, 168, 0, 1]), 17,
               len(udp) + len(vxlan) + len(inner))
    return (bytes.fromhex("0200000000fe") + bytes.fromhex("0200000000fd")
            + b"\x08\x00" + ip + udp + vxlan + inner)


def write_pcap(path, frames):
    """Writes 'frames' (an iterable of bytes) to 'path' atomically."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(_PCAP_HEADER)
        rec = struct.Struct("<IIII")
        for n, frame in enumerate(frames):
            f.write(rec.pack(n // 1000000, n % 1000000, len(frame),
                             len(frame)))
            f.write(frame)
    os.replace(tmp, path)


def count_packets(path):
    """Number of records in a pcap written by write_pcap (fixed sizes)."""
    with open(path, "rb") as f:
        f.seek(24)
        first = f.read(16)
    if len(first) < 16:
        return 0
    caplen = struct.unpack("<IIII", first)[2]
    return (os.path.getsize(path) - 24) // (16 + caplen)


class TrafficCache:
    """Generates traffic and rule files on demand under one directory."""

    def __init__(self, directory, newflow_packets=4000000):
        self.dir = directory
        self.newflow_packets = newflow_packets
        os.makedirs(directory, exist_ok=True)

    def _get(self, name, make):
        path = os.path.join(self.dir, name)
        if not os.path.exists(path):
            make(path)
        return path

    def udp_flows(self, n_flows):
        def make(path):
            frames = [flow_frame(i) for i in range(n_flows)]
            total = max(n_flows, MIN_PACKETS)
            write_pcap(path, (frames[k % n_flows] for k in range(total)))
        return self._get(f"udp-{n_flows}flows.pcap", make)

    def vxlan_flows(self, n_flows):
        def make(path):
            frames = [vxlan_frame(i) for i in range(n_flows)]
            total = max(n_flows, MIN_PACKETS)
            write_pcap(path, (frames[k % n_flows] for k in range(total)))
        return self._get(f"vxlan-{n_flows}flows.pcap", make)

    def learn_frame(self):
        def make(path):
            write_pcap(path, [udp_frame(_ip(0x0A010000, 0), _ip(0x0A000000, 0),
                                        5001, 1024, src_mac=DST_MAC,
                                        dst_mac=b"\xff" * 6)])
        return self._get("learn-dst.pcap", make)

    def new_flows(self, n_packets=None):
        n_packets = n_packets or self.newflow_packets

        def make(path):
            template = bytearray(flow_frame(0))

            def frames():
                for i in range(n_packets):
                    # Source MAC 06:xx:xx:xx:xx:xx (locally administered,
                    # unicast), source IP and port all unique per packet.
                    template[6:12] = struct.pack("!HI", 0x0600, i)
                    template[26:30] = struct.pack("!I", 0x0B000000 + i)
                    template[24:26] = b"\x00\x00"
                    template[24:26] = struct.pack(
                        "!H", _ip_checksum(bytes(template[14:34])))
                    template[34:36] = struct.pack("!H", 1024 + i % 60000)
                    yield bytes(template)
            write_pcap(path, frames())
        return self._get(f"newflows-{n_packets}.pcap", make)

    def flow_mods(self, n_rules):
        def make(path):
            with open(path + ".tmp", "w") as f:
                for i in range(n_rules):
                    f.write("priority=100,udp,in_port=1,nw_src=%d.%d.%d.%d,"
                            "tp_src=%d,actions=output:2\n"
                            % (12, (i >> 16) & 255, (i >> 8) & 255, i & 255,
                               1024 + i % 60000))
            os.replace(path + ".tmp", path)
        return self._get(f"flowmods-{n_rules}.txt", make)
