"""Two namespaces joined to one bridge by veth pairs attached as `system`
ports: ping and a bulk TCP transfer, over AF_XDP and over AF_PACKET."""
import hashlib

import pytest

from conftest import wait_for

SERVER = r"""
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5001)); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest(), flush=True)
"""

CLIENT = r"""
import random, socket, sys
random.seed(7); data = random.randbytes(int(sys.argv[1]))
c = socket.create_connection(("10.77.0.2", 5001), timeout=30)
c.sendall(data); c.close()
"""

BULK_BYTES = 16 * 1024 * 1024


def expected_digest():
    import random
    random.seed(7)
    return hashlib.sha256(random.randbytes(BULK_BYTES)).hexdigest()


@pytest.mark.parametrize("xdp_mode", ["best-effort", "af-packet"])
def test_ping_and_bulk_tcp(vswitchd, netns, xdp_mode):
    ns_a, if_a = netns.add("10.77.0.1/24")
    ns_b, if_b = netns.add("10.77.0.2/24")
    vswitchd.ctl("add-br", "br0")
    for port in (if_a, if_b):
        vswitchd.ctl("add-port", "br0", port, "--", "type=system",
                     f"options:xdp-mode={xdp_mode}")
    info = vswitchd.ctl_json("show")
    assert "br0" in str(info)

    ping = netns.exec(ns_a, "ping", "-c", "5", "-i", "0.2", "-W", "2",
                      "10.77.0.2", check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert " 0% packet loss" in ping.stdout

    server = netns.popen(ns_b, "/usr/bin/python3", "-c", SERVER,
                         stdout=__import__("subprocess").PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        netns.exec(ns_a, "/usr/bin/python3", "-c", CLIENT, BULK_BYTES,
                   timeout=120)
        line = server.stdout.readline().split()
        server.wait(timeout=30)
    finally:
        server.kill()
    assert int(line[0]) == BULK_BYTES
    assert line[1] == expected_digest()

    # Both MACs are learned, on the right ports.
    fdb = vswitchd.ctl_json("fdb-show", "br0")
    ports = {e["port"] for e in fdb}
    assert {if_a, if_b} <= ports

    stats = {s["port"]: s for s in vswitchd.ctl_json("port-stats")}
    assert stats[if_a]["rx_packets"] > 1000
    assert stats[if_b]["rx_packets"] > 100


def test_system_port_errors(vswitchd):
    vswitchd.ctl("add-br", "br0")
    r = vswitchd.ctl("add-port", "br0", "nosuchif0", "--", "type=system",
                     check=False)
    assert r.returncode != 0
    assert "nosuchif0" in r.stderr
    r = vswitchd.ctl("add-port", "brX", "x", "--", "type=dummy", check=False)
    assert r.returncode != 0 and "brX" in r.stderr
