"""Test-side tools for driving a vswitchd bridge under load: a synchronous
OpenFlow 1.3 controller built on os-ken's message classes, a persistent
control-socket client, and a traffic pump for `dummy` ports.

OFClient
    One OpenFlow 1.3 connection over a plain socket, driven by the test's
    own thread (no osken-manager, no event loop). Either vswitchd connects
    to it (OFClient.listen() + `vswitch-ctl set-controller br0
    tcp:127.0.0.1:PORT`, then accept()) or it connects to a bridge's
    passive listener (OFClient.connect(path-or-(host, port))). Messages are
    os-ken objects: built with os_ken.ofproto.ofproto_v1_3_parser, parsed
    with ofproto_parser.msg(). ECHO_REQUESTs from the switch are answered
    while the client waits for anything; ERRORs are kept and raised by the
    request they answer (by xid).

Rpc
    The control socket's JSON-RPC 2.0 (one JSON object per line) on one
    long-lived connection, so a pump can inject and capture thousands of
    times a second without starting a vswitch-ctl process per call.

Pump
    Steady traffic: a thread that, turn after turn, injects a batch of
    numbered frames for every stream into its dummy input port and drains
    every dummy output port, recording where each numbered frame came out.
    Pump.quiesce() stops the injecting and returns when the switch has
    received (rx counters) and forwarded all that was handed to it.
    A frame's UDP payload is MAGIC, the stream id (2 bytes) and a sequence
    number (4 bytes), so a frame is recognised without parsing with scapy.
    Ring-full backpressure (the daemon refuses part of a batch) is counted
    as "not sent", never as loss. The test reads Pump.next_seq() to learn
    which frames were handed to the switch after a given moment.

Only the test's own daemon is contacted: loopback TCP or unix sockets in
the test's temporary directory.
"""
import json
import re
import socket
import struct
import threading
import time

import os_ken.ofproto.ofproto_parser as ofproto_parser
import os_ken.ofproto.ofproto_v1_3 as ofp
import os_ken.ofproto.ofproto_v1_3_parser as parser
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

MAGIC = b"VSWT"
PAYLOAD_OFFSET = 14 + 20 + 8      # Ether + IPv4 (no options) + UDP
TAG_LEN = len(MAGIC) + 2 + 4


class OFError(Exception):
    """The switch answered a request with an OpenFlow ERROR."""


class _Datapath:
    """Just enough of an os-ken datapath for its message classes."""
    ofproto = ofp
    ofproto_parser = parser
    id = None

    def set_xid(self, msg):
        raise AssertionError("OFClient assigns xids")


class OFClient:
    """A synchronous OpenFlow 1.3 controller connection."""

    dp = _Datapath()

    def __init__(self, sock):
        self.sock = sock
        if sock.family == socket.AF_INET:
            # Requests are small and each waits for its answer.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.next_xid = 0x1000
        self.errors = {}            # xid -> OFPErrorMsg
        self.async_msgs = []        # PACKET_IN, PORT_STATUS, ... in order
        self.features = None

    # ---- setting up ----

    @staticmethod
    def listen():
        """A loopback listener for vswitchd's active connection; returns
        (listening socket, port)."""
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        return srv, srv.getsockname()[1]

    @classmethod
    def accept(cls, srv, timeout=30):
        srv.settimeout(timeout)
        conn, _ = srv.accept()
        client = cls(conn)
        client.handshake()
        return client

    @classmethod
    def connect(cls, where, timeout=10):
        """Connects to a unix socket path or a (host, port) listener."""
        if isinstance(where, tuple):
            s = socket.create_connection(where, timeout=timeout)
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(str(where))
        client = cls(s)
        client.handshake()
        return client

    def handshake(self):
        self.send(parser.OFPHello(self.dp))
        hello = self.recv_until(lambda m: isinstance(m, parser.OFPHello))
        assert hello.version == ofp.OFP_VERSION, hello.version
        xid = self.send(parser.OFPFeaturesRequest(self.dp))
        self.features = self.recv_until(
            lambda m: isinstance(m, parser.OFPSwitchFeatures) and m.xid == xid)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # ---- wire ----

    def send(self, msg):
        """Serialises and sends an os-ken message; returns its xid."""
        msg.xid = self.next_xid
        self.next_xid += 1
        msg.serialize()
        self.sock.sendall(bytes(msg.buf))
        return msg.xid

    def _read_one(self, deadline):
        while True:
            if len(self.buf) >= 8:
                _, _, length, _ = struct.unpack_from("!BBHI", self.buf)
                if len(self.buf) >= length:
                    blob, self.buf = self.buf[:length], self.buf[length:]
                    version, msg_type, msg_len, xid = \
                        ofproto_parser.header(blob)
                    return ofproto_parser.msg(self.dp, version, msg_type,
                                              msg_len, xid, blob)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no OpenFlow message from the switch")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the switch closed the connection")
            self.buf += data

    def recv_until(self, want, timeout=10):
        """Reads messages until 'want(msg)' holds and returns that one;
        answers echoes, files errors and asynchronous messages."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_one(deadline)
            if want(msg):
                return msg
            if isinstance(msg, parser.OFPEchoRequest):
                reply = parser.OFPEchoReply(self.dp, data=msg.data)
                reply.xid = msg.xid
                reply.serialize()
                self.sock.sendall(bytes(reply.buf))
            elif isinstance(msg, parser.OFPErrorMsg):
                self.errors[msg.xid] = msg
            else:
                self.async_msgs.append(msg)

    def check_error(self, xid):
        err = self.errors.pop(xid, None)
        if err is not None:
            raise OFError(f"request xid {xid:#x} failed: type {err.type} "
                          f"code {err.code}")

    # ---- requests ----

    def barrier(self, timeout=10):
        """BARRIER_REQUEST, then waits for its BARRIER_REPLY."""
        xid = self.send(parser.OFPBarrierRequest(self.dp))
        self.recv_until(lambda m: isinstance(m, parser.OFPBarrierReply)
                        and m.xid == xid, timeout=timeout)
        return xid

    def echo(self, timeout=10):
        """A round trip: the switch has read everything sent before."""
        xid = self.send(parser.OFPEchoRequest(self.dp, data=b"sync"))
        self.recv_until(lambda m: isinstance(m, parser.OFPEchoReply)
                        and m.xid == xid, timeout=timeout)

    def flow_mod(self, match, actions, priority=100, table_id=0,
                 command=ofp.OFPFC_ADD, **kw):
        """Sends a FLOW_MOD whose instructions apply 'actions'; returns
        its xid (errors surface with check_error(xid) after a barrier)."""
        inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS,
                                             actions)] if actions else []
        return self.send(parser.OFPFlowMod(
            self.dp, table_id=table_id, command=command, priority=priority,
            match=match, instructions=inst, buffer_id=ofp.OFP_NO_BUFFER,
            out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY, **kw))

    def delete_all_flows(self):
        return self.send(parser.OFPFlowMod(
            self.dp, table_id=ofp.OFPTT_ALL, command=ofp.OFPFC_DELETE,
            out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY,
            match=parser.OFPMatch()))


def output(port):
    return [parser.OFPActionOutput(port, 0xffff)]


class Rpc:
    """The daemon's control socket on one persistent connection."""

    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.path = path
        self.rfile = self.sock.makefile("rb")
        self.next_id = 1

    def call(self, method, *params):
        """Returns the result; raises RuntimeError with the daemon's
        message on a JSON-RPC error."""
        req = {"jsonrpc": "2.0", "method": method,
               "params": [str(p) for p in params], "id": self.next_id}
        self.next_id += 1
        self.sock.sendall(json.dumps(req, separators=(",", ":")).encode()
                          + b"\n")
        line = self.rfile.readline()
        if not line:
            raise ConnectionError("vswitchd closed the control socket")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(reply["error"].get("message", reply["error"]))
        return reply.get("result")

    def inject(self, port, frames):
        """Injects frames; returns how many the port's rx ring took (a full
        ring refuses the rest of the batch)."""
        if not frames:
            return 0
        try:
            return self.call("dummy-inject", port,
                             *[f.hex() for f in frames])["injected"]
        except RuntimeError as e:
            m = re.search(r"after (\d+) frame\(s\)", str(e))
            if m and "No buffer space" in str(e):
                return int(m.group(1))
            raise

    def capture(self, port):
        """Pops everything port transmitted so far, as bytes."""
        frames = []
        while True:
            got = self.call("dummy-capture", port, 1024)
            frames += [bytes.fromhex(h) for h in got]
            if len(got) < 1024:
                return frames

    def close(self):
        self.rfile.close()
        self.sock.close()


def header(src_mac="02:00:00:00:00:01", dst_mac="02:00:00:00:00:02",
           src_ip="10.0.0.1", dst_ip="10.0.0.2", sport=1000, dport=2000):
    """Ether/IPv4/UDP headers for a tagged frame (UDP checksum 0, lengths
    fixed for the tag payload), so frames differ only in their tags."""
    pkt = (Ether(src=src_mac, dst=dst_mac) / IP(src=src_ip, dst=dst_ip)
           / UDP(sport=sport, dport=dport, chksum=0) / (b"\0" * TAG_LEN))
    return bytes(pkt)[:PAYLOAD_OFFSET]


def with_sport(hdr, sport):
    """Headers 'hdr' (from header()) with another UDP source port."""
    at = 14 + 20
    return hdr[:at] + struct.pack("!H", sport) + hdr[at + 2:]


def tagged(hdr, stream, seq):
    """Frame 'seq' of 'stream' on the headers 'hdr' (from header())."""
    return hdr + MAGIC + struct.pack("!HI", stream, seq)


def parse_tag(frame):
    """(stream, seq) of a tagged frame, or None."""
    tag = frame[PAYLOAD_OFFSET:PAYLOAD_OFFSET + TAG_LEN]
    if len(tag) < TAG_LEN or tag[:4] != MAGIC:
        return None
    return struct.unpack("!HI", tag[4:])


class Stream:
    """Numbered frames entering one port: of one flow (headers 'hdr'), or
    each with the headers 'hdr_of(seq)' returns."""

    def __init__(self, sid, in_port, hdr, per_turn, hdr_of=None):
        self.sid = sid
        self.in_port = in_port
        self.hdr = hdr
        self.hdr_of = hdr_of or (lambda seq: hdr)
        self.per_turn = per_turn
        self.next_seq = 0
        self.refused = 0            # frames the rx ring had no room for
        self.sent = set()           # seqs the switch took


class Pump(threading.Thread):
    """Background traffic through dummy ports (see the module comment).

    streams: Stream objects (distinct sids); out_ports: every port to
    drain. 'received[sid]' lists (seq, port) in capture order; 'untagged'
    counts other frames per port."""

    def __init__(self, rpc_path, streams, out_ports, pause=0.001):
        super().__init__(daemon=True)
        self.rpc = Rpc(rpc_path)
        self.streams = {s.sid: s for s in streams}
        self.out_ports = list(out_ports)
        self.pause = pause
        self.lock = threading.Lock()
        self.received = {s.sid: [] for s in streams}
        self.untagged = {p: 0 for p in out_ports}
        # Frames handed to each input port (by the pump or through
        # inject()), against the port's rx counter when the pump started:
        # quiesce() waits until the worker has received them all.
        self.injected = {}
        self.rx_base = {p["port"]: p["rx_packets"]
                        for p in self.rpc.call("port-stats")}
        self.turns = 0
        self.failure = None
        self.injecting = threading.Event()
        self.injecting.set()
        self.stopping = threading.Event()

    def inject(self, rpc, port, frames):
        """Injects frames from the test's own connection 'rpc', counted
        for quiesce(); returns how many the port took."""
        took = rpc.inject(port, frames)
        with self.lock:
            self.injected[port] = self.injected.get(port, 0) + took
        return took

    def next_seq(self, sid):
        """The first sequence number not yet handed to the switch: every
        frame numbered from it on is injected after this call."""
        with self.lock:
            return self.streams[sid].next_seq

    def run(self):
        try:
            while not self.stopping.is_set():
                if self.injecting.is_set():
                    for s in self.streams.values():
                        if s.per_turn:
                            self._inject(s)
                self._drain()
                self.turns += 1
                time.sleep(self.pause)
            self._drain()
        except Exception as e:     # reported by stop()
            self.failure = e

    def _inject(self, s):
        with self.lock:
            first = s.next_seq
            s.next_seq += s.per_turn
        frames = [tagged(s.hdr_of(first + i), s.sid, first + i)
                  for i in range(s.per_turn)]
        took = self.rpc.inject(s.in_port, frames)
        with self.lock:
            self.injected[s.in_port] = self.injected.get(s.in_port, 0) + took
        s.sent.update(range(first, first + took))
        s.refused += s.per_turn - took

    def _drain(self):
        for port in self.out_ports:
            for frame in self.rpc.capture(port):
                tag = parse_tag(frame)
                if tag and tag[0] in self.received:
                    self.received[tag[0]].append((tag[1], port))
                else:
                    self.untagged[port] += 1

    def quiesce(self, timeout=30):
        """Stops injecting and returns once the switch has received every
        frame handed to it (rx counters), finished with them and its
        output rings have been drained."""
        self.injecting.clear()
        self._wait_turns(1)         # a batch being injected is complete
        deadline = time.monotonic() + timeout
        rpc = Rpc(self.rpc.path)
        try:
            while True:
                rx = {p["port"]: p["rx_packets"]
                      for p in rpc.call("port-stats")}
                with self.lock:
                    behind = {p: n for p, n in self.injected.items()
                              if rx.get(p, 0) - self.rx_base.get(p, 0) < n}
                if not behind:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"the switch never received all "
                                         f"frames: {behind} vs {rx}")
                time.sleep(0.005)
        finally:
            rpc.close()
        time.sleep(0.05)            # the worker's last burst goes out
        self._wait_turns(2)

    def _wait_turns(self, n):
        turn = self.turns
        deadline = time.monotonic() + 10
        while (self.turns < turn + n and self.is_alive()
               and time.monotonic() < deadline):
            time.sleep(0.002)

    def stop(self):
        self.stopping.set()
        self.join(timeout=20)
        self.rpc.close()
        if self.failure:
            raise AssertionError(f"traffic pump failed: {self.failure!r}")


def require_ctl_commands(vswitchd, *commands):
    """Fails the test, naming the command, if the vswitch-ctl under test
    lacks one of 'commands' (the OpenFlow side of vswitchd is needed)."""
    for cmd in commands:
        r = vswitchd.ctl(cmd, "--help", check=False)
        if r.returncode != 0 or "usage:" not in r.stdout:
            raise AssertionError(f"vswitch-ctl has no '{cmd}' command: "
                                 f"{r.stderr.strip()}")


def dummy_bridge(vswitchd, ports, br="br0"):
    """A fail-mode secure bridge whose dummy ports 'ports' get OpenFlow
    numbers 1, 2, ... in order; returns {name: ofport}."""
    vswitchd.ctl("add-br", br)
    vswitchd.ctl("set-fail-mode", br, "secure")
    numbers = {}
    for i, p in enumerate(ports, start=1):
        vswitchd.ctl("add-port", br, p, "--", "type=dummy", f"ofport={i}")
        numbers[p] = i
    return numbers


def pmd_totals(rpc):
    """pmd-perf-show's counters summed over the workers."""
    total = {}
    for w in rpc.call("pmd-perf-show"):
        for k, v in w.items():
            if isinstance(v, int) and not isinstance(v, bool):
                total[k] = total.get(k, 0) + v
    return total
