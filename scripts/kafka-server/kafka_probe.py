#!/usr/bin/env python3
"""Helpers for scripts/kafka: pick free loopback ports, generate a cluster id, and wait
until Kafka brokers answer a Metadata request listing the whole cluster.

Talks the Kafka wire protocol directly (ApiVersions v0, then Metadata v4) so a readiness
probe costs milliseconds instead of a JVM start per attempt.

  kafka_probe.py free-ports N
  kafka_probe.py cluster-id
  kafka_probe.py wait --timeout S --expect N [--pid PID ...] HOST:PORT ...
"""

import argparse
import base64
import os
import socket
import struct
import sys
import time
import uuid

API_METADATA = 3
API_VERSIONS = 18
METADATA_VERSION = 4  # non-flexible; served by every Kafka since 1.0, kept by 4.x (KIP-896)


def free_ports(count):
    # Hold every socket until all are bound so the ports are distinct.
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def cluster_id():
    # Kafka's Uuid.randomUuid(): URL-safe base64 of 16 random bytes, never starting with '-'.
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not value.startswith("-"):
            return value


class ProtocolError(Exception):
    pass


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ProtocolError("truncated response")
        value = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value[0] if len(value) == 1 else value

    def string(self):
        length = self.take(">h")
        if length < 0:
            return None
        value = self.data[self.pos:self.pos + length].decode()
        self.pos += length
        return value


def request(sock, api_key, api_version, correlation_id, body):
    client_id = b"asiokafka-probe"
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    size = struct.unpack(">i", recv_exactly(sock, 4))[0]
    reader = Reader(recv_exactly(sock, size))
    if reader.take(">i") != correlation_id:
        raise ProtocolError("correlation id mismatch")
    return reader


def recv_exactly(sock, size):
    chunks = []
    while size:
        chunk = sock.recv(size)
        if not chunk:
            raise ProtocolError("connection closed by broker")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def metadata_brokers(address, timeout):
    """Returns the node ids the broker at `address` lists in its Metadata response."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.settimeout(timeout)
        versions = request(sock, API_VERSIONS, 0, 1, b"")
        error = versions.take(">h")
        if error:
            raise ProtocolError(f"ApiVersions error {error}")
        supported = {}
        for _ in range(versions.take(">i")):
            key, low, high = versions.take(">hhh")
            supported[key] = (low, high)
        low, high = supported.get(API_METADATA, (0, -1))
        if not low <= METADATA_VERSION <= high:
            raise ProtocolError(f"broker serves Metadata v{low}..v{high}, probe needs v{METADATA_VERSION}")
        # topics = null (all topics), allow_auto_topic_creation = false
        meta = request(sock, API_METADATA, METADATA_VERSION, 2, struct.pack(">ib", -1, 0))
        meta.take(">i")  # throttle_time_ms
        nodes = []
        for _ in range(meta.take(">i")):
            nodes.append(meta.take(">i"))
            meta.string()  # host
            meta.take(">i")  # port
            meta.string()  # rack
        return nodes


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; it only waits for its parent to reap it.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait(args):
    deadline = time.monotonic() + args.timeout
    pending = list(args.addresses)
    last_problem = {}
    while True:
        for pid in args.pid:
            if not alive(pid):
                print(f"kafka_probe: broker process {pid} exited", file=sys.stderr)
                return 2
        for address in list(pending):
            try:
                nodes = metadata_brokers(address, timeout=2.0)
            except (OSError, ProtocolError) as e:
                last_problem[address] = str(e)
                continue
            if len(nodes) >= args.expect:
                pending.remove(address)
            else:
                last_problem[address] = f"lists {len(nodes)} of {args.expect} brokers"
        if not pending:
            return 0
        if time.monotonic() >= deadline:
            for address in pending:
                print(f"kafka_probe: {address} not ready: {last_problem.get(address, 'no answer')}",
                      file=sys.stderr)
            return 1
        time.sleep(0.1)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    ports = sub.add_parser("free-ports")
    ports.add_argument("count", type=int)
    sub.add_parser("cluster-id")
    waiter = sub.add_parser("wait")
    waiter.add_argument("--timeout", type=float, default=120)
    waiter.add_argument("--expect", type=int, default=1, help="brokers each node must list")
    waiter.add_argument("--pid", type=int, action="append", default=[], help="fail fast if it exits")
    waiter.add_argument("addresses", nargs="+")
    args = parser.parse_args()
    if args.command == "free-ports":
        print(" ".join(str(p) for p in free_ports(args.count)))
        return 0
    if args.command == "cluster-id":
        print(cluster_id())
        return 0
    return wait(args)


if __name__ == "__main__":
    sys.exit(main())
