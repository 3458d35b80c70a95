"""FastStream <-> asiokafka interoperability on a real Kafka broker.

    python interop.py CASE --peer PATH/faststream_peer --brokers HOST:PORT

Drives the real FastStream (pinned in requirements.txt) in this process and asiokafka's side,
faststream_peer (interop_peer.cpp), as a subprocess; compares what each side sent with what
the other received. Prints what it counted and exits 0 only when everything matched; each
case has a hard timeout. The broker address defaults to ASIOKAFKA_TEST_BROKERS (or the file
named by ASIOKAFKA_TEST_BROKERS_FILE). Cases:

  faststream_to_asiokafka_typed           FastStream publishes pydantic models, dicts
                                          without the optional keys, bytes and str ->
                                          asiokafka typed and std::string subscribers
  asiokafka_to_faststream_typed           asiokafka publishes -> FastStream pydantic
                                          subscriber (content type, correlation id)
  faststream_request_asiokafka_responder  FastStream requests (reply_to) -> asiokafka
                                          subscriber returning a value -> FastStream replies
  asiokafka_request_faststream_responder  asiokafka async_request, 100 in flight -> FastStream
                                          subscriber returning a value; plus a timeout
  correlation_and_trace_chain             FastStream (OpenTelemetry) -> asiokafka forward ->
                                          FastStream (OpenTelemetry): one correlation id and
                                          one trace end to end, asiokafka's spans included
  bad_input                               invalid reply_to, unknown reply, malformed
                                          traceparent, non-JSON: logged, counted, and the
                                          good records around them all handled
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import uuid
from typing import Any, Optional

from confluent_kafka.admin import AdminClient, NewTopic
from faststream.confluent import KafkaBroker, KafkaMessage
from pydantic import BaseModel

CASE_TIMEOUT_S = 100  # hard limit per case (the peer's own deadline is shorter)
PEER_DEADLINE_MS = 60000


class Item(BaseModel):
    sku: str
    qty: int
    price: float


class Order(BaseModel):
    """Mirrored by fs::order in interop_peer.cpp."""

    id: int
    name: str
    note: Optional[str] = None
    score: float
    discount: Optional[float] = None
    items: list[Item]
    tags: list[str]


class Request(BaseModel):
    id: int
    text: str


class Reply(BaseModel):
    id: int
    echo: str
    half: float


def answer(r: Request) -> Reply:
    """What every responder answers (fs::answer in interop_peer.cpp)."""
    return Reply(id=r.id, echo="re: " + r.text, half=r.id / 2)


SPECIAL_FLOATS = [0.1, 1 / 3, 1e-300, 1.7976931348623157e308, -2.5, 5e-324, 123456789.12345679, 0.0,
                  -0.0, 2.0, 1e21, 3.141592653589793]


def make_order(i: int) -> Order:
    """Record i: unicode and escapes, optionals absent (None) or present, assorted doubles,
    a nested list of 0-3 items, 64-bit integer extremes."""
    name = (f"order {i} — naïve café 日本語 🎉 \"quoted\" back\\slash\nnew line\ttab \u0001 "
            f"\u2028 {'𝄞' * (i % 3)}")
    items = [Item(sku=f"sku-{i}-{j}-ß✓", qty=[0, -1, 2**63 - 1, -(2**63), 42][(i + j) % 5],
                  price=SPECIAL_FLOATS[(i + j) % len(SPECIAL_FLOATS)] + j)
             for j in range(i % 4)]
    return Order(id=i, name=name,
                 note=None if i % 3 == 0 else f"note {i} ✓ ünï",
                 score=SPECIAL_FLOATS[i % len(SPECIAL_FLOATS)] * (1 if i % 2 else -1) + (i // 12) * 0.001,
                 discount=None if i % 2 == 0 else i / 7,
                 items=items,
                 tags=[] if i % 5 == 0 else [f"t{k}" for k in range(i % 5)])


PEER_EXIT = {1: "its own checks failed", 2: "bad usage", 3: "the broker failed",
             4: "io.run() had not returned 15 s after broker::stop()"}


def exit_check(c: "Checks", rc: Optional[int], role: str) -> None:
    c.check(rc == 0, f"{role} peer exit status {rc}" + (f" ({PEER_EXIT[rc]})" if rc in PEER_EXIT else ""))


class CaseFailure(Exception):
    pass


class Checks:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        print(f"  [{'ok' if ok else 'FAIL'}] {what}", flush=True)
        if not ok:
            self.failures.append(what)
        return ok


def quiet_logger() -> logging.Logger:
    log = logging.getLogger("faststream-interop")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[faststream] %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.WARNING)
        log.propagate = False
    return log


def new_broker(brokers: str, **kwargs: Any) -> KafkaBroker:
    return KafkaBroker(brokers, client_id="faststream-interop", logger=quiet_logger(), **kwargs)


async def create_topics(brokers: str, topics: dict[str, int]) -> None:
    admin = AdminClient({"bootstrap.servers": brokers})
    futures = admin.create_topics([NewTopic(t, num_partitions=p, replication_factor=1) for t, p in topics.items()],
                                  operation_timeout=30)
    for topic, f in futures.items():
        await asyncio.to_thread(f.result, 30)


class Peer:
    """faststream_peer as an asyncio subprocess: its stdout JSON lines and stderr lines."""

    def __init__(self, path: str, brokers: str, mode: str, *args: str) -> None:
        self.argv = [path, mode, "--brokers", brokers, "--deadline-ms", str(PEER_DEADLINE_MS), *args]
        self.lines: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        self.summary: Optional[dict[str, Any]] = None
        self.returncode: Optional[int] = None
        self._waiters: list[tuple[Any, asyncio.Future[dict[str, Any]]]] = []
        self.proc: Optional[asyncio.subprocess.Process] = None

    async def start(self, stdin: Optional[bytes] = None) -> "Peer":
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, limit=1 << 24)
        self._readers = [asyncio.create_task(self._read_stdout()), asyncio.create_task(self._read_stderr())]
        if stdin is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(stdin)
            await self.proc.stdin.drain()
            self.proc.stdin.close()
        return self

    async def _read_stdout(self) -> None:
        assert self.proc and self.proc.stdout
        async for raw in self.proc.stdout:
            line = raw.decode("utf-8").rstrip("\n")
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                self.stderr.append(f"(non-JSON stdout) {line}")
                continue
            self.lines.append(obj)
            if obj.get("event") == "summary":
                self.summary = obj
            for pred, fut in list(self._waiters):
                if not fut.done() and pred(obj):
                    fut.set_result(obj)

    async def _read_stderr(self) -> None:
        assert self.proc and self.proc.stderr
        async for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.stderr.append(line)
            print(f"  [peer stderr] {line}", file=sys.stderr, flush=True)

    async def wait_line(self, pred: Any, timeout: float) -> dict[str, Any]:
        for obj in self.lines:
            if pred(obj):
                return obj
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.append((pred, fut))
        return await asyncio.wait_for(fut, timeout)

    def events(self, name: str) -> list[dict[str, Any]]:
        return [o for o in self.lines if o.get("event") == name]

    async def wait(self, timeout: float) -> int:
        assert self.proc
        try:
            self.returncode = await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            self.proc.kill()
            self.returncode = await self.proc.wait()
            raise CaseFailure(f"peer {self.argv[1]} did not finish within {timeout} s (killed)")
        finally:
            await asyncio.gather(*self._readers, return_exceptions=True)
        return self.returncode

    async def terminate(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def wait_until(pred: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise CaseFailure(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


async def publish_all(broker: KafkaBroker, calls: list[tuple[Any, dict[str, Any]]], chunk: int = 200) -> None:
    """Publishes (message, kwargs) pairs, `chunk` at once, each awaited to its delivery."""
    for start in range(0, len(calls), chunk):
        await asyncio.gather(*(broker.publish(m, **kw) for m, kw in calls[start:start + chunk]))


# --- a. FastStream -> asiokafka typed and string subscribers -------------------------------

async def case_faststream_to_asiokafka_typed(peer_path: str, brokers: str, run: str, c: Checks) -> None:
    topic = f"fs-a-{run}"
    await create_topics(brokers, {topic: 3})
    n_models, n_dicts, n_bytes, n_str = 1000, 100, 50, 50
    total = n_models + n_dicts + n_bytes + n_str
    expected: dict[int, Order] = {}
    sent_kind: dict[int, str] = {}
    calls: list[tuple[Any, dict[str, Any]]] = []
    for i in range(total):
        o = make_order(i)
        expected[i] = o
        kw = {"topic": topic, "correlation_id": f"fs-a-{run}-{i}"}
        if i < n_models:
            sent_kind[i], msg = "pydantic", o                                         # application/json
        elif i < n_models + n_dicts:
            sent_kind[i], msg = "dict", o.model_dump(exclude_none=True)               # optional keys absent
        elif i < n_models + n_dicts + n_bytes:
            sent_kind[i], msg = "bytes", json.dumps(o.model_dump(exclude_none=True)).encode()  # content-type ""
        else:
            sent_kind[i], msg = "str", o.model_dump_json()                            # text/plain
        calls.append((msg, kw))
    want_ct = {"pydantic": "application/json", "dict": "application/json", "bytes": "", "str": "text/plain"}

    # FastStream's own subscriber on the same topic: what FastStream itself reads.
    fs_seen: dict[int, tuple[bytes, Optional[str], Any]] = {}
    broker = new_broker(brokers)

    @broker.subscriber(topic, group_id=f"fs-a-fs-{run}", auto_offset_reset="earliest")
    async def fs_read(body: Any, msg: KafkaMessage) -> None:
        decoded = body if not isinstance(body, str) else json.loads(body)
        fs_seen[int(decoded["id"])] = (msg.body, msg.content_type, body)

    await broker.start()
    typed = await Peer(peer_path, brokers, "consume", "--type", "typed", "--topic", topic,
                       "--group", f"fs-a-typed-{run}", "--count", str(total)).start()
    text = await Peer(peer_path, brokers, "consume", "--type", "string", "--topic", topic,
                      "--group", f"fs-a-string-{run}", "--count", str(total)).start()
    try:
        await publish_all(broker, calls)
        await wait_until(lambda: len(fs_seen) >= total, 60, "FastStream's own subscriber")
        rc_typed, rc_text = await typed.wait(70), await text.wait(70)
    finally:
        await typed.terminate()
        await text.terminate()
        await broker.stop()

    # typed: every field equal to what FastStream sent, and as FastStream itself decoded it
    by_id: dict[int, dict[str, Any]] = {}
    dup = 0
    for r in typed.events("record"):
        i = int(r["value"]["id"])
        dup += i in by_id
        by_id[i] = r
    equal = {k: 0 for k in want_ct}
    ct_ok = corr_ok = 0
    for i, o in expected.items():
        r = by_id.get(i)
        if r is None:
            continue
        got = Order.model_validate(r["value"])
        fs_body = fs_seen.get(i)
        fs_model = None
        if fs_body is not None:
            b = fs_body[2]
            fs_model = Order.model_validate_json(b) if isinstance(b, str) else Order.model_validate(b)
        if got == o and got == fs_model:
            equal[sent_kind[i]] += 1
        elif len(c.failures) < 5:
            print(f"  mismatch id {i}: sent {o.model_dump()} got {r['value']} FastStream read {fs_model}")
        ct_ok += r["content_type"] == want_ct[sent_kind[i]]
        corr_ok += r["correlation_id"] == f"fs-a-{run}-{i}"
    n_equal = sum(equal.values())
    print(f"faststream->asiokafka typed: {n_equal}/{total} equal ({equal['pydantic']}/{n_models} pydantic, "
          f"{equal['dict']}/{n_dicts} dicts without optional keys, {equal['bytes']}/{n_bytes} bytes, "
          f"{equal['str']}/{n_str} str), {ct_ok} content types, {corr_ok} correlation ids as sent, "
          f"{dup} duplicates; peer exit {rc_typed}, stats {typed.summary and typed.summary.get('stats')}")
    c.check(n_equal == total and dup == 0, f"typed subscriber: {n_equal}/{total} records equal field by field")
    c.check(ct_ok == total, f"typed subscriber saw FastStream's content-type on {ct_ok}/{total}")
    c.check(corr_ok == total, f"typed subscriber saw FastStream's correlation_id on {corr_ok}/{total}")
    exit_check(c, rc_typed, "typed")

    # string: the text FastStream's own subscriber reads as the body
    same = 0
    text_ids: set[int] = set()
    for r in text.events("record"):
        i = int(json.loads(r["value"])["id"])
        text_ids.add(i)
        fs_body = fs_seen.get(i)
        if fs_body is not None and r["value"].encode() == fs_body[0]:
            same += 1
        elif len(c.failures) < 5:
            print(f"  string mismatch id {i}: {r['value']!r} vs {fs_body and fs_body[0]!r}")
    print(f"faststream->asiokafka string: {same}/{total} equal to the body FastStream's own subscriber read "
          f"({len(text_ids)} distinct ids); peer exit {rc_text}")
    c.check(same == total and len(text_ids) == total, f"string subscriber: {same}/{total} payloads equal")
    exit_check(c, rc_text, "string")
    fs_ct = {sent_kind[i]: v[1] for i, v in fs_seen.items()}
    print(f"  (FastStream's content-type per kind as FastStream reads it: {fs_ct})")


# --- b. asiokafka -> FastStream typed subscriber --------------------------------------------

async def case_asiokafka_to_faststream_typed(peer_path: str, brokers: str, run: str, c: Checks) -> None:
    topic = f"fs-b-{run}"
    await create_topics(brokers, {topic: 3})
    total = 1000
    expected = {i: make_order(i) for i in range(total)}
    corr = {i: f"asio-b-{run}-{i}" for i in range(total)}
    stdin = "".join(json.dumps({"value": expected[i].model_dump(mode="json"), "correlation_id": corr[i]},
                               ensure_ascii=False) + "\n" for i in range(total)).encode()

    got: dict[int, tuple[Order, Optional[str], Optional[str], bool]] = {}
    dup = 0
    broker = new_broker(brokers)

    @broker.subscriber(topic, group_id=f"fs-b-{run}", auto_offset_reset="earliest")
    async def fs_read(order: Order, msg: KafkaMessage) -> None:
        nonlocal dup
        dup += order.id in got
        got[order.id] = (order, msg.content_type, msg.correlation_id, "traceparent" in msg.headers)

    await broker.start()
    try:
        peer = await Peer(peer_path, brokers, "publish", "--topic", topic).start(stdin=stdin)
        rc = await peer.wait(70)
        await wait_until(lambda: len(got) >= total, 60, "FastStream's subscriber")
        await asyncio.sleep(0.5)  # anything extra would show as a duplicate
    finally:
        await broker.stop()
    equal = 0
    for i, o in expected.items():
        if i in got and got[i][0] == o:
            equal += 1
        elif equal + 5 > i:
            print(f"  mismatch id {i}: sent {o.model_dump()} FastStream decoded {got.get(i, (None,))[0]}")
    json_ct = sum(1 for v in got.values() if v[1] == "application/json")
    corr_ok = sum(1 for i in expected if i in got and got[i][2] == corr[i])
    traced = sum(1 for v in got.values() if v[3])
    print(f"asiokafka->faststream typed: {equal}/{total} equal, {json_ct}/{total} content-type application/json, "
          f"{corr_ok}/{total} correlation ids as sent, {traced}/{total} with traceparent, {dup} duplicates; "
          f"peer {peer.summary and {k: peer.summary.get(k) for k in ('published', 'failed')}} exit {rc}")
    exit_check(c, rc, "publisher")
    c.check(equal == total and dup == 0, f"FastStream decoded {equal}/{total} records equal")
    c.check(json_ct == total, f"msg.content_type == application/json on {json_ct}/{total}")
    c.check(corr_ok == total, f"msg.correlation_id as asiokafka sent on {corr_ok}/{total}")


# --- c. FastStream requests -> asiokafka responder ------------------------------------------

async def case_faststream_request_asiokafka_responder(peer_path: str, brokers: str, run: str, c: Checks) -> None:
    topic, replies = f"fs-c-req-{run}", f"fs-c-rep-{run}"
    await create_topics(brokers, {topic: 3, replies: 1})
    total = 1000
    requests = {f"fs-c-{run}-{i}": Request(id=i, text=f"request {i} ünï ✓ \"q\"") for i in range(total)}
    got: dict[str, tuple[Reply, Optional[str]]] = {}
    dup = 0
    broker = new_broker(brokers)

    @broker.subscriber(replies, group_id=f"fs-c-{run}", auto_offset_reset="earliest")
    async def on_reply(rep: Reply, msg: KafkaMessage) -> None:
        nonlocal dup
        key = msg.correlation_id or "<none>"
        dup += key in got
        got[key] = (rep, msg.content_type)

    await broker.start()
    peer = await Peer(peer_path, brokers, "respond", "--topic", topic, "--group", f"fs-c-asio-{run}",
                      "--count", str(total)).start()
    try:
        await publish_all(broker, [(r, {"topic": topic, "reply_to": replies, "correlation_id": cid})
                                   for cid, r in requests.items()])
        await wait_until(lambda: len(got) >= total, 60, "the replies")
        rc = await peer.wait(60)
        await asyncio.sleep(0.5)
    finally:
        await peer.terminate()
        await broker.stop()
    matched = sum(1 for cid, r in requests.items() if cid in got and got[cid][0] == answer(r))
    json_ct = sum(1 for v in got.values() if v[1] == "application/json")
    handled = peer.events("handled")
    seen_ok = sum(1 for h in handled if h["correlation_id"] in requests and h["reply_to"] == replies)
    print(f"faststream->asiokafka request/reply: {matched}/{total} replies decoded with their request's "
          f"correlation id, {json_ct}/{total} application/json, {dup} duplicates; asiokafka saw correlation_id "
          f"and reply_to on {seen_ok}/{total}; peer stats {peer.summary and peer.summary.get('stats')} exit {rc}")
    c.check(matched == total and len(got) == total and dup == 0, f"{matched}/{total} replies matched")
    c.check(json_ct == total, f"replies with content-type application/json: {json_ct}/{total}")
    c.check(seen_ok == total, f"asiokafka read correlation_id and reply_to on {seen_ok}/{total}")
    exit_check(c, rc, "responder")


# --- d. asiokafka requests -> FastStream responder ------------------------------------------

async def case_asiokafka_request_faststream_responder(peer_path: str, brokers: str, run: str, c: Checks) -> None:
    topic, nobody = f"fs-d-req-{run}", f"fs-d-nobody-{run}"
    await create_topics(brokers, {topic: 3, nobody: 1})
    total = 1000
    handled = 0
    broker = new_broker(brokers)

    @broker.subscriber(topic, group_id=f"fs-d-{run}", auto_offset_reset="earliest")
    async def respond(req: Request) -> Reply:
        nonlocal handled
        handled += 1
        return answer(req)

    await broker.start()
    try:
        peer = await Peer(peer_path, brokers, "request", "--topic", topic, "--count", str(total),
                          "--in-flight", "100", "--timeout-ms", "30000", "--nobody-topic", nobody,
                          "--nobody-timeout-ms", "2000").start()
        rc = await peer.wait(80)
    finally:
        await broker.stop()
    s = peer.summary or {}
    nb = s.get("nobody") or {}
    print(f"asiokafka->faststream request/reply: {s.get('answered')}/{total} decoded replies matched, "
          f"{s.get('mismatched')} mismatched, {s.get('errors')} errors {s.get('error_kinds')}, "
          f"max {s.get('max_in_flight')} in flight, {s.get('elapsed_s', 0):.2f} s; FastStream handled {handled}; "
          f"unanswered request: {nb.get('error')} after {nb.get('elapsed_ms')} ms (timeout {nb.get('timeout_ms')} ms); "
          f"request stats {s.get('request_stats')}; peer exit {rc}")
    c.check(s.get("answered") == total and s.get("mismatched") == 0 and s.get("errors") == 0,
            f"{s.get('answered')}/{total} replies decoded and matched")
    c.check(s.get("max_in_flight") == 100, f"{s.get('max_in_flight')} requests in flight at once")
    c.check(bool(nb.get("is_timeout")) and bool(nb.get("in_time")),
            f"unanswered request: {nb.get('error')} after {nb.get('elapsed_ms')} ms, within timeout + 1 s")
    rs = s.get("request_stats") or {}
    c.check(rs.get("answered") == total and rs.get("timed_out") == 1 and rs.get("unmatched_replies") == 0,
            f"request_stats {rs}")
    exit_check(c, rc, "requester")


# --- e. correlation id and trace across FastStream -> asiokafka -> FastStream ---------------

async def case_correlation_and_trace_chain(peer_path: str, brokers: str, run: str, c: Checks) -> None:
    from faststream.confluent.opentelemetry import KafkaTelemetryMiddleware
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    t1, t2 = f"fs-e-in-{run}", f"fs-e-out-{run}"
    await create_topics(brokers, {t1: 2, t2: 2})
    total = 50
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    broker = new_broker(brokers, middlewares=(KafkaTelemetryMiddleware(tracer_provider=provider),))
    got: dict[str, tuple[Order, dict[str, Any]]] = {}

    @broker.subscriber(t2, group_id=f"fs-e-{run}", auto_offset_reset="earliest")
    async def on_out(order: Order, msg: KafkaMessage) -> None:
        got[msg.correlation_id or f"<none {order.id}>"] = (order, dict(msg.headers))

    corr = {i: f"fs-e-{run}-{i}" for i in range(total)}
    await broker.start()
    peer = await Peer(peer_path, brokers, "forward", "--in", t1, "--out", t2, "--group", f"fs-e-asio-{run}",
                      "--count", str(total), "--spans").start()
    try:
        await publish_all(broker, [(make_order(i), {"topic": t1, "correlation_id": corr[i]}) for i in range(total)])
        await wait_until(lambda: len(got) >= total, 60, "the forwarded records")
        rc = await peer.wait(60)
        await asyncio.sleep(0.5)
    finally:
        await peer.terminate()
        await broker.stop()

    def hexid(n: int, width: int) -> str:
        return format(n, f"0{width}x")

    spans = exporter.get_finished_spans()
    by_corr: dict[tuple[str, str], Any] = {}
    for s in spans:
        cid = s.attributes.get("messaging.message.conversation_id")
        by_corr[(s.name, str(cid))] = s
    corr_ok = trace_ok = parent_in_ok = parent_out_ok = asio_spans_ok = 0
    forwarded = {f["correlation_id"]: f for f in peer.events("forwarded")}
    asio_spans: dict[str, list[dict[str, Any]]] = {}
    for sp in peer.events("span"):
        asio_spans.setdefault(sp["correlation_id"], []).append(sp)
    example = None
    for i in range(total):
        cid = corr[i]
        create = by_corr.get((f"{t1} create", cid))
        publish = by_corr.get((f"{t1} publish", cid))
        process = by_corr.get((f"{t2} process", cid))
        fwd = forwarded.get(cid)
        corr_ok += cid in got and got[cid][0] == make_order(i) and fwd is not None
        if not (create and publish and process and fwd):
            continue
        tid = hexid(publish.context.trace_id, 32)
        trace_ok += hexid(process.context.trace_id, 32) == tid and fwd["incoming_trace_id"] == tid \
            and fwd["trace_id"] == tid
        # asiokafka's process span continues the span FastStream injected (its "create" span)
        parent_in_ok += fwd["incoming_span_id"] == hexid(create.context.span_id, 16)
        # FastStream's process span continues the span asiokafka's publish injected
        mine = asio_spans.get(cid, [])
        asio_publish = [s for s in mine if s["kind"] == "publish" and s["phase"] == "end"]
        asio_process = [s for s in mine if s["kind"] == "process" and s["phase"] == "end"]
        parent_out_ok += bool(process.parent) and len(asio_publish) == 1 and \
            hexid(process.parent.span_id, 16) == asio_publish[0]["span_id"]
        asio_spans_ok += len(asio_publish) == 1 and len(asio_process) == 1 and \
            all(s["trace_id"] == tid for s in mine) and asio_process[0]["span_id"] == fwd["span_id"] and \
            asio_process[0]["parent_span_id"] == fwd["incoming_span_id"] and \
            asio_publish[0]["parent_span_id"] == asio_process[0]["span_id"]
        if example is None:
            example = (cid, tid, got[cid][1].get("traceparent"), fwd["incoming_span_id"])
    print(f"correlation and trace chain: {corr_ok}/{total} records end to end with one correlation id; "
          f"{trace_ok}/{total} one trace id (FastStream publish = asiokafka process = FastStream process); "
          f"{parent_in_ok}/{total} asiokafka spans parented on FastStream's injected span, "
          f"{parent_out_ok}/{total} FastStream's process spans parented on asiokafka's publish span; "
          f"{asio_spans_ok}/{total} asiokafka span-hook records consistent; {len(spans)} OTel spans, "
          f"{len(peer.events('span'))} asiokafka span events; peer exit {rc}")
    if example:
        print(f"  e.g. correlation_id {example[0]}: trace {example[1]}, traceparent on {t2}: {example[2]}")
    c.check(corr_ok == total, f"correlation id end to end on {corr_ok}/{total}")
    c.check(trace_ok == total, f"one trace id end to end on {trace_ok}/{total}")
    c.check(parent_in_ok == total, f"asiokafka continued FastStream's span on {parent_in_ok}/{total}")
    c.check(parent_out_ok == total, f"FastStream continued asiokafka's publish span on {parent_out_ok}/{total}")
    c.check(asio_spans_ok == total, f"asiokafka's span hook agrees on {asio_spans_ok}/{total}")
    exit_check(c, rc, "forward")


# --- f. bad input ----------------------------------------------------------------------------

async def case_bad_input(peer_path: str, brokers: str, run: str, c: Checks) -> None:
    topic, asio_replies, fs_replies = f"fs-f-req-{run}", f"fs-f-asio-rep-{run}", f"fs-f-rep-{run}"
    await create_topics(brokers, {topic: 1, asio_replies: 1, fs_replies: 1})
    unknown_corr = f"unknown-{run}"
    bad_traceparent = "00-this-is-not-a-traceparent-01"
    got: dict[str, Reply] = {}
    broker = new_broker(brokers)

    @broker.subscriber(fs_replies, group_id=f"fs-f-{run}", auto_offset_reset="earliest")
    async def on_reply(rep: Reply, msg: KafkaMessage) -> None:
        got[msg.correlation_id or "<none>"] = rep

    # In this order on one partition: good records between the bad ones.
    plan: list[tuple[str, Any, dict[str, Any]]] = []
    good: dict[str, Request] = {}

    def add_good(i: int) -> None:
        cid = f"fs-f-{run}-good-{i}"
        good[cid] = Request(id=i, text=f"good {i}")
        plan.append(("good", good[cid], {"reply_to": fs_replies, "correlation_id": cid}))

    add_good(0)
    plan.append(("bad reply_to", Request(id=100, text="reply to an invalid topic"),
                 {"reply_to": "bad topic!", "correlation_id": f"fs-f-{run}-bad-reply-to"}))
    add_good(1)
    trace_cid = f"fs-f-{run}-bad-traceparent"
    good[trace_cid] = Request(id=101, text="malformed traceparent")
    plan.append(("malformed traceparent", good[trace_cid],
                 {"reply_to": fs_replies, "correlation_id": trace_cid, "headers": {"traceparent": bad_traceparent}}))
    add_good(2)
    plan.append(("not JSON", b"{not json", {"reply_to": fs_replies, "correlation_id": f"fs-f-{run}-not-json"}))
    for i in range(3, 10):
        add_good(i)
    records = len(plan)
    where: dict[str, str] = {}  # topic[partition]@offset of each kind of record

    await broker.start()
    peer = await Peer(peer_path, brokers, "bad-input", "--topic", topic, "--group", f"fs-f-asio-{run}",
                      "--reply-topic", asio_replies, "--count", str(records), "--expect-unmatched", "1").start()
    try:
        await peer.wait_line(lambda o: o.get("event") == "ready", 40)
        # A reply nobody asked for, on the reply topic of asiokafka's requests
        delivered = await broker.publish(Reply(id=999, echo="who asked?", half=0.5), asio_replies,
                                         correlation_id=unknown_corr)
        where["unknown reply"] = f"{asio_replies}[0]@{delivered.offset()}"
        for what, msg, kw in plan:  # one at a time: their order on the partition is the plan's
            delivered = await broker.publish(msg, topic, **kw)
            where[what] = f"{topic}[0]@{delivered.offset()}"
        await wait_until(lambda: len(got) >= len(good), 60, "the replies to the good records")
        rc = await peer.wait(60)
        await asyncio.sleep(0.5)
    finally:
        await peer.terminate()
        await broker.stop()

    s = peer.summary or {}
    st = s.get("stats") or {}
    rs = s.get("request_stats") or {}
    replied = sum(1 for cid, r in good.items() if got.get(cid) == answer(r))
    handled_ids = [h["id"] for h in peer.events("handled") if h["id"] >= 0]
    want_ids = [m.id for _, m, _ in plan if isinstance(m, Request)]
    logs = peer.stderr

    def logged(*needles: str) -> Optional[str]:
        return next((line for line in logs if all(n in line for n in needles)), None)

    print(f"bad input: {replied}/{len(good)} good records (and the one with a malformed traceparent) answered "
          f"around {records - len(good)} bad ones; subscriber stats {st}; request stats {rs}; "
          f"self requests ok {s.get('self_requests_ok')}; peer exit {rc}")
    c.check(replied == len(good) and len(got) == len(good), f"{replied}/{len(good)} good records answered, nothing lost")
    c.check(handled_ids == want_ids, f"handler ran for every decodable record, in order: {handled_ids}")
    c.check(st.get("replies_failed") == 1 and st.get("failed") == 1,
            f"invalid reply_to: replies_failed {st.get('replies_failed')}, failed {st.get('failed')} (want 1, 1)")
    c.check(st.get("invalid_trace_context") == 1, f"malformed traceparent: invalid_trace_context "
                                                   f"{st.get('invalid_trace_context')} (want 1)")
    c.check(st.get("decode_failed") == 1, f"non-JSON payload: decode_failed {st.get('decode_failed')} (want 1)")
    c.check(rs.get("unmatched_replies") == 1, f"unknown reply: unmatched_replies {rs.get('unmatched_replies')} (want 1)")
    c.check(st.get("handled") == len(good) + 2, f"handled {st.get('handled')} (want {len(good)} + 2 self requests)")
    c.check(bool(s.get("self_requests_ok")), "asiokafka's requests still answered after the unknown reply")
    # Each bad record has a log line naming it (topic[partition]@offset) and what was wrong.
    for what, needles in [("bad reply_to", ('"bad topic!"',)), ("unknown reply", (unknown_corr,)),
                          ("malformed traceparent", (bad_traceparent,)), ("not JSON", ("not JSON",))]:
        line = logged(where.get(what, "?"), *needles)
        c.check(line is not None, f"log line for the {what} record at {where.get(what)}: {line}")
    exit_check(c, rc, "bad-input")


CASES = {
    "faststream_to_asiokafka_typed": case_faststream_to_asiokafka_typed,
    "asiokafka_to_faststream_typed": case_asiokafka_to_faststream_typed,
    "faststream_request_asiokafka_responder": case_faststream_request_asiokafka_responder,
    "asiokafka_request_faststream_responder": case_asiokafka_request_faststream_responder,
    "correlation_and_trace_chain": case_correlation_and_trace_chain,
    "bad_input": case_bad_input,
}


def default_brokers() -> Optional[str]:
    if os.environ.get("ASIOKAFKA_TEST_BROKERS"):
        return os.environ["ASIOKAFKA_TEST_BROKERS"]
    if os.environ.get("ASIOKAFKA_TEST_BROKERS_FILE"):
        with open(os.environ["ASIOKAFKA_TEST_BROKERS_FILE"]) as f:
            return f.read().strip()
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--peer", required=True, help="path of faststream_peer")
    parser.add_argument("--brokers", default=default_brokers(), help="bootstrap HOST:PORT")
    args = parser.parse_args()
    if not args.brokers:
        print("interop: no broker: pass --brokers or set ASIOKAFKA_TEST_BROKERS "
              "(scripts/kafka start prints the address)", file=sys.stderr)
        return 2
    run = uuid.uuid4().hex[:10]
    checks = Checks()
    started = time.monotonic()
    print(f"faststream/{args.case} (run {run}, broker {args.brokers})", flush=True)

    async def go() -> None:
        await asyncio.wait_for(CASES[args.case](args.peer, args.brokers, run, checks), CASE_TIMEOUT_S)

    try:
        asyncio.run(go())
    except asyncio.TimeoutError:
        checks.failures.append(f"case did not finish within {CASE_TIMEOUT_S} s")
    except CaseFailure as e:
        checks.failures.append(str(e))
    elapsed = time.monotonic() - started
    if checks.failures:
        print(f"FAILED faststream/{args.case} in {elapsed:.1f} s:", flush=True)
        for f in checks.failures:
            print(f"  - {f}", flush=True)
        return 1
    print(f"passed faststream/{args.case} in {elapsed:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
