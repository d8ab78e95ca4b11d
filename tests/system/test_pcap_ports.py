"""`dpdk` ports on net_pcap vdevs: every packet read from the rx file is
forwarded (flooded by NORMAL) and written, unchanged and in order, to the
other port's tx file."""
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap, wrpcap

from conftest import wait_for

N_FRAMES = 2000


def test_pcap_forwards_every_packet(vswitchd, tmp_path):
    frames = [Ether(src=f"02:00:00:00:{i >> 8:02x}:{i & 0xff:02x}",
                    dst="ff:ff:ff:ff:ff:ff")
              / IP(src="10.1.0.1", dst="10.1.0.2") / UDP(sport=i, dport=9)
              / (b"p" * (18 + i % 64))
              for i in range(N_FRAMES)]
    wrpcap(str(tmp_path / "in.pcap"), frames)
    wrpcap(str(tmp_path / "empty.pcap"), [])
    vswitchd.ctl("add-br", "br0")
    # The output port first: the input port starts reading its file as soon
    # as it is added.
    vswitchd.ctl("add-port", "br0", "pout", "--", "type=dpdk",
                 f"options:dpdk-devargs=net_pcap_out,rx_pcap={tmp_path}/empty.pcap,"
                 f"tx_pcap={tmp_path}/out.pcap")
    vswitchd.ctl("add-port", "br0", "pin", "--", "type=dpdk",
                 f"options:dpdk-devargs=net_pcap_in,rx_pcap={tmp_path}/in.pcap,"
                 f"tx_pcap={tmp_path}/in-tx.pcap")

    def tx_count():
        for s in vswitchd.ctl_json("port-stats"):
            if s["port"] == "pout":
                return s["tx_packets"]
        return 0
    wait_for(lambda: tx_count() >= N_FRAMES, timeout=20,
             message=f"{N_FRAMES} packets out of pout")
    assert tx_count() == N_FRAMES
    # Closing the port flushes and closes the pcap writer.
    vswitchd.ctl("del-port", "pout")
    out = rdpcap(str(tmp_path / "out.pcap"))
    assert len(out) == N_FRAMES
    assert [bytes(p) for p in out] == [bytes(f) for f in frames]
