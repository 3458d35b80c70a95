"""The benchmark driver behind scripts/bench: fills a topic, runs every contestant as its own
process in interleaved rounds, measures it (its rusage from wait4, its own first-to-last
record clock), then the latency and idle runs, and writes results.json, results.md and
results.png. After the latency run, a request/reply run: asiokafka's broker::async_request
against an asiokafka responder and a FastStream responder; then consume-transform-produce:
the same subscriber<person> publishing each record to an output topic, at-least-once against
exactly-once, interleaved rounds. See docs/benchmarks.md for the method.

    python bench/run.py --brokers HOST:PORT --build BUILD_DIR --out OUT_DIR [--quick] [--only latency]
"""

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
PARTITIONS = 8

# librdkafka 2.0.2 stops fetching a partition once the consumer queue holds more than
# queued.min.messages (100000) records or queued.max.messages.kbytes (64 MiB), and looks again
# only on its broker thread's next wake-up, up to a second later; a consumer that drains the
# queue faster than that then sits idle (see docs/benchmarks.md). The main table lifts both
# limits for every contestant so that the clients, not that cadence, are measured; the
# second table keeps librdkafka's defaults.
LIFTED_PREFETCH = "queued.min.messages=10000000,queued.max.messages.kbytes=2097151"

SETTINGS = {
    "full": {"count": 2_000_000, "rounds": 5, "faststream_count": 100_000, "latency_s": 20, "idle_s": 10,
             "rr_count": 20_000, "rr_latency_count": 2_000, "transform_count": 200_000,
             "publish_count": 1_000_000},
    "quick": {"count": 300_000, "rounds": 5, "faststream_count": 20_000, "latency_s": 5, "idle_s": 5,
              "rr_count": 3_000, "rr_latency_count": 500, "transform_count": 50_000,
              "publish_count": 300_000},
}
# Request/reply: requests at most this many in flight for throughput (rr_count requests),
# and one at a time for latency (rr_latency_count requests). Each responder runs with the
# asiokafka producers (the requester's, and the asiokafka responder's replies) at
# librdkafka's default linger.ms (5 ms), then again at RR_LINGER (FastStream's producer
# default is linger_ms=0).
RR_IN_FLIGHT = 100
RR_LINGER = "linger.ms=0"
# The primary, stable figures: instructions per record of each C/C++ contestant under
# valgrind --tool=callgrind (whole process, librdkafka's threads included, lifted prefetch),
# CALLGRIND_RUNS times each, interleaved, on a topic of its own holding exactly CALLGRIND_RECORDS
# records (consuming part of a larger topic would count whatever librdkafka prefetched beyond
# it, which varies from run to run).
CALLGRIND_RECORDS = 100_000
CALLGRIND_RUNS = 2
# Latency (contestants 1, 3, 4): LATENCY_ROUNDS interleaved rounds, each running 1, 3 and 4 in
# turn on fresh topics (order rotated per round); the report gives per contestant the median of
# the rounds' p50/p99/p999 and the min-max of p99. The producer (raw_poll produce-rate, C) hands
# each record to librdkafka as soon as it is due, at linger.ms=0: librdkafka's default 5 ms
# linger, not the client, would otherwise be most of every figure. linger.ms=0 alone sends one
# ProduceRequest per record on 8 partitions, more than a 2-core machine's broker answers
# (produce -> ack p50 of 8 ms to 1.7 s measured), so max.in.flight=1: records due while a request
# is out go together in the next one, batches only as large as the broker's round trip makes
# them. acks=all (librdkafka's default, explicit here): its produce -> delivery report latency
# is the broker's own round trip, reported beside the consumers' figures.
LATENCY_RATE = 20_000
LATENCY_WARMUP_S = 1
LATENCY_ROUNDS = {"full": 5, "quick": 3}
LATENCY_PRODUCER = "linger.ms=0,max.in.flight=1,acks=all"


class Contestant:
    def __init__(self, key, label, argv, count_key="count", in_defaults_table=True, native=False):
        self.native = native  # C/C++: measured under callgrind too
        self.key = key
        self.label = label
        self.argv = argv  # (topic, group, count) -> argv
        self.count_key = count_key
        self.in_defaults_table = in_defaults_table


def contestants(build, python):
    b = os.path.join(build, "bench")
    return [
        Contestant("1", "raw librdkafka poll loop (C)",
                   lambda br, t, g, n: [f"{b}/raw_poll", "consume", br, t, g, str(n)], native=True),
        Contestant("2", "raw librdkafka loop + JSON decode",
                   lambda br, t, g, n: [f"{b}/raw_decode", br, t, g, str(n)], native=True),
        Contestant("3", "asiokafka consumer::async_receive",
                   lambda br, t, g, n: [f"{b}/asiokafka_bench", "receive", br, t, g, str(n)], native=True),
        Contestant("3b", "asiokafka consumer::async_receive_batch(1024)",
                   lambda br, t, g, n: [f"{b}/asiokafka_bench", "receive-batch", br, t, g, str(n)], native=True),
        Contestant("3s", "asiokafka message_stream::next()",
                   lambda br, t, g, n: [f"{b}/asiokafka_bench", "receive-stream", br, t, g, str(n)], native=True),
        Contestant("4", "asiokafka broker subscriber<person>",
                   lambda br, t, g, n: [f"{b}/asiokafka_bench", "subscriber", br, t, g, str(n)], native=True),
        Contestant("5", "FastStream subscriber (pydantic)",
                   lambda br, t, g, n: [python, f"{HERE}/faststream_sub.py", br, t, g, str(n)],
                   count_key="faststream_count", in_defaults_table=False),
        Contestant("6", "confluent-kafka-python poll()",
                   lambda br, t, g, n: [python, f"{HERE}/confluent_poll.py", "poll", br, t, g, str(n)]),
        Contestant("6b", "confluent-kafka-python consume(1000)",
                   lambda br, t, g, n: [python, f"{HERE}/confluent_poll.py", "consume", br, t, g, str(n)]),
    ] + [Contestant(key, label, lambda br, t, g, n, cmd=cmd: cmd + ["consume", br, t, g, str(n)])
         for key, label, cmd in peers(build)]


# The peers a systems programmer would pick instead (bench/peers/, built by scripts/bench into
# BUILD/peers/): each with its own client library, the same topic, records, person and
# BENCH_CONSUMER_CONFIG protocol. A peer whose build is missing (no cargo, no Maven or Java) is
# left out with a message.
def peer_commands(build):
    rust = os.path.join(build, "peers", "cargo", "release", "bench-peer-rust")
    jar = os.path.join(build, "peers", "java", "bench-peer-java.jar")
    return [
        ("7", "rust-rdkafka StreamConsumer + serde_json", [rust], os.path.isfile(rust) and os.access(rust, os.X_OK)),
        ("8", "Java KafkaConsumer poll + Jackson", ["java", "-jar", jar], os.path.isfile(jar)),
    ]


def peers(build):
    out = []
    for key, label, cmd, built in peer_commands(build):
        if built:
            out.append((key, label, cmd))
        else:
            print(f"peer {key} ({label}) not built: left out", file=sys.stderr, flush=True)
    return out


def peer_versions(build, log_dir):
    """The peers' library versions, as each reports them ("version" mode)."""
    out = {}
    for key, label, cmd, built in peer_commands(build):
        if not built:
            continue
        try:
            v = run_tool(cmd + ["version"], os.path.join(log_dir, f"version-{key}.log"), timeout=60) or {}
        except (RuntimeError, OSError) as e:
            print(f"peer {key}: no version: {e}", file=sys.stderr, flush=True)
            continue
        if key == "7":
            out["rust_rdkafka"] = v.get("rdkafka_crate")
            out["rust_rdkafka_bundled_librdkafka"] = v.get("librdkafka_version")
        elif key == "8":
            out.update({k: v.get(k) for k in ("kafka_clients", "jackson", "jdk", "jvm")})
    try:
        out["rustc"] = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip() or None
    except OSError:
        pass
    return out


# ---- child processes --------------------------------------------------------------------------

class Child:
    """One contestant process: stdout read by a thread ("ready" lines and the JSON result),
    stderr appended to a log file, reaped with wait4 for its own rusage."""

    def __init__(self, argv, log_path, env_extra=None):
        env = dict(os.environ)
        env.pop("BENCH_CONSUMER_CONFIG", None)
        env.pop("BENCH_PRODUCER_CONFIG", None)
        env.update(env_extra or {})
        self.log = open(log_path, "ab")
        self.log.write(("$ " + " ".join(argv) + "\n").encode())
        self.log.flush()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, env=env)
        self.lines = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").strip()
            if line == "ready":
                self.ready.set()
            elif line:
                self.lines.append(line)

    def wait(self, timeout):
        """Returns (result dict or None, rusage, exit code, timed out)."""
        deadline = time.monotonic() + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                timed_out = True
                os.kill(self.proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(self.proc.pid, 0)
                break
            time.sleep(0.02)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.reader.join(5)
        self.proc.stdout.close()
        self.log.write(("\n".join(self.lines) + f"\n[exit {self.proc.returncode}]\n").encode())
        self.log.close()
        result = None
        for line in reversed(self.lines):
            if line.startswith("{"):
                result = json.loads(line)
                break
        return result, usage, self.proc.returncode, timed_out


def run_tool(argv, log_path, timeout=180):
    child = Child(argv, log_path)
    result, usage, code, timed_out = child.wait(timeout)
    if code != 0 or timed_out:
        raise RuntimeError(f"{' '.join(argv)} failed (exit {code}{', timed out' if timed_out else ''}); see {log_path}")
    return result


# ---- progress -------------------------------------------------------------------------------

class Progress:
    def __init__(self, total):
        self.total = total
        self.done = 0
        self.started = time.monotonic()

    def step(self, what):
        self.done += 1
        elapsed = int(time.monotonic() - self.started)
        print(f"[{self.done:3d}/{self.total} {elapsed // 60:02d}:{elapsed % 60:02d}] {what}", flush=True)


def fmt_rate(x):
    return f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.1f}k" if x >= 1e3 else f"{x:.0f}"


# ---- measurements ---------------------------------------------------------------------------

def consume_run(c, args, topic, count, prefetch, log_dir, round_no, timeout):
    group = f"bench-{c.key}-{prefetch}-{round_no}-{uuid.uuid4().hex[:8]}"
    env = {"BENCH_CONSUMER_CONFIG": LIFTED_PREFETCH} if prefetch == "lifted" else {}
    log = os.path.join(log_dir, f"{c.key}-{prefetch}-r{round_no}.log")
    child = Child(c.argv(args.brokers, topic, group, count), log, env)
    result, usage, code, timed_out = child.wait(timeout)
    cpu = usage.ru_utime + usage.ru_stime
    run = {"ok": False, "exit": code, "timed_out": timed_out, "cpu_s": cpu, "peak_rss_mb": usage.ru_maxrss / 1024,
           "wall_s": time.monotonic() - child.started, "log": log}
    if result:
        run.update(result)
        complete = (result.get("count") == count and result.get("offsets_sum") == count
                    and result.get("out_of_order") == 0 and result.get("elapsed_s", 0) > 0)
        run["ok"] = complete and code == 0 and not timed_out
        if result.get("elapsed_s", 0) > 0:
            run["msgs_per_s"] = result["count"] / result["elapsed_s"]
            run["mb_per_s"] = result["bytes"] / result["elapsed_s"] / 1e6
        if result.get("count"):
            run["cpu_s_per_million"] = cpu / result["count"] * 1e6
    return run


def callgrind_runs(cs, args, log_dir, progress):
    """Instructions per record of each native contestant, CALLGRIND_RUNS interleaved runs each."""
    native = [c for c in cs if c.native]
    n = CALLGRIND_RECORDS
    topic = f"bench-callgrind-{n}-{uuid.uuid4().hex[:8]}"
    b = f"{args.build}/bench"
    run_tool([f"{b}/raw_poll", "create-topic", args.brokers, topic, str(PARTITIONS)],
             os.path.join(log_dir, "create-topic.log"))
    run_tool([f"{b}/asiokafka_bench", "fill", args.brokers, topic, str(n), str(PARTITIONS)],
             os.path.join(log_dir, "fill-callgrind.log"), timeout=600)
    per_record = {c.key: [] for c in native}
    for r in range(CALLGRIND_RUNS):
        for c in native:
            base = os.path.join(log_dir, f"callgrind-{c.key}-r{r + 1}")
            group = f"bench-callgrind-{c.key}-{r + 1}-{uuid.uuid4().hex[:8]}"
            argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={base}.cg"] + c.argv(args.brokers, topic,
                                                                                           group, n)
            child = Child(argv, base + ".log", {"BENCH_CONSUMER_CONFIG": LIFTED_PREFETCH})
            result, _, code, timed_out = child.wait(1800)
            total = None
            complete = (result and result.get("count") == n and result.get("offsets_sum") == n
                        and result.get("out_of_order") == 0 and code == 0 and not timed_out)
            if complete and os.path.exists(base + ".cg"):
                with open(base + ".cg") as f:
                    for line in f:
                        if line.startswith(("summary:", "totals:")):
                            total = int(line.split()[1])
                            break
            per_record[c.key].append(None if total is None else total / n)
            state = f"{total / n:,.0f} Ir/record" if total else f"FAILED (exit {code}, see {base}.log)"
            progress.step(f"callgrind run {r + 1}/{CALLGRIND_RUNS}: {c.key} {c.label}: {state}")
    rows = []
    for c in native:
        vals = [v for v in per_record[c.key] if v is not None]
        row = {"id": c.key, "name": c.label, "records": n, "runs": per_record[c.key],
               "ok": len(vals) == CALLGRIND_RUNS}
        if vals:
            row["ir_per_record"] = statistics.mean(vals)
            row["spread_pct"] = (max(vals) - min(vals)) / min(vals) * 100
        rows.append(row)
    return rows


def callgrind_ratios(rows):
    by = {r["id"]: r.get("ir_per_record") for r in rows}

    def div(a, b):
        return by[a] / by[b] if by.get(a) and by.get(b) else None

    return [
        {"ratio": "3 / 1 instructions per record (async_receive vs raw poll)", "value": div("3", "1"),
         "target": "<= 1.05"},
        {"ratio": "3s / 1 instructions per record (message_stream::next vs raw poll)", "value": div("3s", "1"),
         "target": "<= 1.05"},
        {"ratio": "3b / 1 instructions per record (async_receive_batch vs raw poll)", "value": div("3b", "1"),
         "target": "-"},
        {"ratio": "4 / 2 instructions per record (subscriber<person> vs raw + decode)", "value": div("4", "2"),
         "target": "<= 1.15"},
    ]


def callgrind_markdown(rows, ratios):
    lines = [
        "",
        f"Instructions per record (valgrind --tool=callgrind, whole process including start-up and group join, "
        f"librdkafka's threads included; a topic of {CALLGRIND_RECORDS:,} such records, lifted prefetch, "
        f"{CALLGRIND_RUNS} interleaved runs each). These are the primary figures: they repeat within a fraction of a "
        "percent whatever else the machine does (the spread column shows it), while the wall-clock and CPU figures "
        "above move with the machine's load (their min-max shows by how much).",
        "",
        "| # | contestant | instructions / record | runs | spread |",
        "|---|---|---:|---|---:|",
    ]
    for r in rows:
        runs = ", ".join("failed" if v is None else f"{v:,.0f}" for v in r["runs"])
        lines.append(f"| {r['id']} | {r['name']} | {fmt(r.get('ir_per_record'), 0)} | {runs} | "
                     f"{fmt(r.get('spread_pct'), 2)} % |")
    lines += ["", "| ratio (instructions) | measured | target | met |", "|---|---:|---:|---|"]
    for r in ratios:
        v = r["value"]
        met = "-"
        if v is not None and r["target"].startswith("<="):
            met = "yes" if v <= float(r["target"][3:]) else "**no**"
        lines.append(f"| {r['ratio']} | {fmt(v, 3)} | {r['target']} | {met} |")
    return "\n".join(lines) + "\n"


def summarize(runs):
    good = [r for r in runs if r["ok"]]
    out = {"rounds": len(runs), "rounds_ok": len(good)}
    if not good:
        return out
    for key in ("msgs_per_s", "mb_per_s", "cpu_s_per_million", "peak_rss_mb"):
        out[key] = statistics.median(r[key] for r in good)
    for key in ("msgs_per_s", "cpu_s_per_million"):
        out[key + "_min"] = min(r[key] for r in good)
        out[key + "_max"] = max(r[key] for r in good)
    out["count"] = good[0]["count"]
    out["per_round_msgs_per_s"] = [round(r["msgs_per_s"]) for r in good]
    return out


def latency_contestants(build):
    b = f"{build}/bench"
    return [
        ("1", lambda br, t, g, k: [f"{b}/raw_poll", "latency", br, t, g, str(k)]),
        ("3", lambda br, t, g, k: [f"{b}/asiokafka_bench", "latency-receive", br, t, g, str(k)]),
        ("4", lambda br, t, g, k: [f"{b}/asiokafka_bench", "latency-subscriber", br, t, g, str(k)]),
    ]


def latency_run(key, mode_argv, args, settings, log_dir, round_no):
    """One contestant, one round: a fresh topic; the consumer and `raw_poll produce-rate` start
    together; the producer writes one probe record per partition and waits; the consumer prints
    "ready" once it holds the probe of every partition (assigned, positioned and read to the end
    of each); only then does the producer get SIGUSR1 and start: LATENCY_WARMUP_S of warm-up
    records (not sampled), then latency_s of measured ones. Returns the run (ok False on failure)."""
    b = f"{args.build}/bench"
    topic = f"bench-latency-{key}-{uuid.uuid4().hex[:8]}"
    group = f"bench-latency-{key}-{round_no}-{uuid.uuid4().hex[:8]}"
    log = os.path.join(log_dir, f"latency-{key}-r{round_no}.log")
    plog = os.path.join(log_dir, f"latency-{key}-r{round_no}-producer.log")
    warmup = int(LATENCY_RATE * LATENCY_WARMUP_S)
    measured = int(LATENCY_RATE * settings["latency_s"])
    total = PARTITIONS + warmup + measured  # the consumer's count: probes included
    run = {"ok": False, "round": round_no, "topic": topic, "log": log, "producer_log": plog}
    consumer = producer = None
    try:
        run_tool([f"{b}/raw_poll", "create-topic", args.brokers, topic, str(PARTITIONS)],
                 os.path.join(log_dir, "create-topic.log"))
        consumer = Child(mode_argv(args.brokers, topic, group, total), log, {"BENCH_CONSUMER_CONFIG": LIFTED_PREFETCH})
        producer = Child([f"{b}/raw_poll", "produce-rate", args.brokers, topic, str(LATENCY_RATE),
                          str(settings["latency_s"]), str(LATENCY_WARMUP_S), str(PARTITIONS)],
                         plog, {"BENCH_PRODUCER_CONFIG": LATENCY_PRODUCER})
        if not producer.ready.wait(60):
            raise RuntimeError(f"the producer's probes were not delivered; see {plog}")
        if not consumer.ready.wait(60):
            raise RuntimeError(f"consumer {key} never caught up (probes of all partitions); see {log}")
        run["caught_up_s"] = time.monotonic() - consumer.started
        os.kill(producer.proc.pid, signal.SIGUSR1)
        presult, _, pcode, ptimeout = producer.wait(settings["latency_s"] + LATENCY_WARMUP_S + 120)
        producer = None
        result, _, code, timed_out = consumer.wait(60)
        consumer = None
        if not presult or pcode != 0 or ptimeout:
            raise RuntimeError(f"producer failed (exit {pcode}); see {plog}")
        if not result or code != 0 or timed_out:
            raise RuntimeError(f"consumer {key} failed (exit {code}); see {log}")
        run.update({k: result[k] for k in ("p50_ms", "p99_ms", "p999_ms", "max_ms", "samples", "count")})
        run.update({k: presult[k] for k in ("ack_p50_ms", "ack_p99_ms", "ack_p999_ms", "ack_max_ms", "ack_samples")})
        run["producer_elapsed_s"] = presult["elapsed_s"]
        run["producer_rate"] = presult["sent"] / presult["elapsed_s"] if presult["elapsed_s"] else 0
        run["ok"] = (result["count"] == total and result["samples"] == measured and result["out_of_order"] == 0
                     and presult["sent"] == warmup + measured and presult["failed"] == 0)
        if not run["ok"]:
            run["error"] = f"incomplete: consumer {result['count']}/{total} records, {result['samples']} samples"
    except (RuntimeError, OSError) as e:
        run["error"] = str(e)
    finally:
        for child in (producer, consumer):
            if child is not None:
                if alive(child.proc.pid):
                    os.kill(child.proc.pid, signal.SIGKILL)
                child.wait(10)
    return run


def latency_runs(args, settings, settings_name, log_dir, progress):
    """LATENCY_ROUNDS interleaved rounds of contestants 1, 3, 4 (order rotated per round).
    Returns {key: medians and runs} plus "broker": the producer's produce -> delivery report
    latency (the broker's own round trip) over every run."""
    cs = latency_contestants(args.build)
    rounds = LATENCY_ROUNDS[settings_name]
    runs = {key: [] for key, _ in cs}
    for r in range(rounds):
        for key, argv in cs[r % len(cs):] + cs[:r % len(cs)]:
            run = latency_run(key, argv, args, settings, log_dir, r + 1)
            runs[key].append(run)
            if run["ok"]:
                state = (f"p50 {run['p50_ms']:.2f} ms, p99 {run['p99_ms']:.2f} ms, p999 {run['p999_ms']:.2f} ms "
                         f"over {run['samples']} records; producer {run['producer_rate']:,.0f}/s, "
                         f"produce -> ack p50 {run['ack_p50_ms']:.2f} ms, p99 {run['ack_p99_ms']:.2f} ms")
            else:
                state = f"FAILED ({run.get('error')})"
            progress.step(f"latency round {r + 1}/{rounds}: {key}: {state}")
    lat = {}
    every = []
    for key, _ in cs:
        good = [x for x in runs[key] if x["ok"]]
        every += good
        row = {"latency_rounds": len(runs[key]), "latency_rounds_ok": len(good), "latency_runs": runs[key]}
        if good:
            for k in ("p50_ms", "p99_ms", "p999_ms"):
                row[k] = statistics.median(x[k] for x in good)
            row["p99_min_ms"] = min(x["p99_ms"] for x in good)
            row["p99_max_ms"] = max(x["p99_ms"] for x in good)
            row["max_ms"] = max(x["max_ms"] for x in good)
            # What the consumer adds to the broker's round trip of the same run: the machine's
            # and the broker's stalls, which move p99 by tens of ms from run to run on a shared
            # machine, hit both alike and drop out.
            row["p50_over_broker_ms"] = statistics.median(x["p50_ms"] - x["ack_p50_ms"] for x in good)
            row["p99_over_broker_ms"] = statistics.median(x["p99_ms"] - x["ack_p99_ms"] for x in good)
        lat[key] = row
    broker = {"runs": len(every)}
    if every:
        for k in ("ack_p50_ms", "ack_p99_ms", "ack_p999_ms"):
            broker[k] = statistics.median(x[k] for x in every)
        broker["ack_p99_min_ms"] = min(x["ack_p99_ms"] for x in every)
        broker["ack_p99_max_ms"] = max(x["ack_p99_ms"] for x in every)
    lat["broker"] = broker
    return lat


LATENCY_LABELS = {"1": "raw librdkafka poll loop (C)", "3": "asiokafka consumer::async_receive",
                  "4": "asiokafka broker subscriber&lt;person&gt;"}


def latency_markdown(lat, settings, settings_name):
    rounds = LATENCY_ROUNDS[settings_name]
    lines = [
        f"Latency: produce → handler at {LATENCY_RATE:,} records/s, {settings['latency_s']} s measured after "
        f"{LATENCY_WARMUP_S} s of warm-up; {rounds} interleaved rounds, each running 1, 3 and 4 in turn on fresh "
        "8-partition topics; the producer starts only once the consumer is caught up (it holds a probe record of "
        f"every partition); producer at {LATENCY_PRODUCER.replace(',', ', ')}; CLOCK_MONOTONIC taken right before "
        "produce and on entry to the handler. Medians of the rounds:",
        "",
        "| # | contestant | p50 ms | p99 ms (min-max) | p999 ms | p50 / p99 over the broker's, same run (median) "
        "| rounds ok |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for key in ("1", "3", "4"):
        r = lat.get(key, {})
        lines.append(f"| {key} | {LATENCY_LABELS[key]} | {fmt(r.get('p50_ms'), 2)} | {fmt(r.get('p99_ms'), 2)} "
                     f"({fmt(r.get('p99_min_ms'), 2)}-{fmt(r.get('p99_max_ms'), 2)}) | {fmt(r.get('p999_ms'), 2)} | "
                     f"{fmt(r.get('p50_over_broker_ms'), 2)} / {fmt(r.get('p99_over_broker_ms'), 2)} | "
                     f"{r.get('latency_rounds_ok', 0)}/{r.get('latency_rounds', 0)} |")
    br = lat.get("broker", {})
    lines.append(f"| - | the broker's own round trip: produce → delivery report (acks=all), same runs | "
                 f"{fmt(br.get('ack_p50_ms'), 2)} | {fmt(br.get('ack_p99_ms'), 2)} ({fmt(br.get('ack_p99_min_ms'), 2)}-"
                 f"{fmt(br.get('ack_p99_max_ms'), 2)}) | {fmt(br.get('ack_p999_ms'), 2)} | - | {br.get('runs', 0)} runs |")
    return lines


def alive(pid):
    """Whether a child still runs, without reaping it (Child.wait reaps with wait4)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cpu_of(pid):
    """utime + stime of a running process, in seconds (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request_reply_runs(args, settings, log_dir, progress, python):
    """For each responder (asiokafka, FastStream; asiokafka's producers at the default linger,
    then at RR_LINGER): start it on a fresh 8-partition topic, wait until it is assigned, run
    the asiokafka requester one at a time (latency) and with RR_IN_FLIGHT in flight
    (throughput), stop it with SIGTERM. A failure is recorded, not
    raised: the rest of the bench's results are still written."""
    b = f"{args.build}/bench"
    asiokafka_responder = lambda t, g: [f"{b}/asiokafka_bench", "respond", args.brokers, t, g]
    faststream_responder = lambda t, g: [python, f"{HERE}/faststream_responder.py", args.brokers, t, g]
    responders = [
        ("asiokafka", "asiokafka broker subscriber returning a value", asiokafka_responder, {}),
        ("faststream", "FastStream subscriber returning a value", faststream_responder, {}),
        ("asiokafka-linger0", "asiokafka broker subscriber returning a value", asiokafka_responder,
         {"BENCH_PRODUCER_CONFIG": RR_LINGER}),
        ("faststream-linger0", "FastStream subscriber returning a value", faststream_responder,
         {"BENCH_PRODUCER_CONFIG": RR_LINGER}),
    ]
    rows = []
    for key, label, argv, env in responders:
        linger = env.get("BENCH_PRODUCER_CONFIG", "linger.ms=5 (default)")
        runs = ((1, settings["rr_latency_count"]), (RR_IN_FLIGHT, settings["rr_count"]))
        topic = f"bench-rr-{key}-{uuid.uuid4().hex[:8]}"
        group = f"bench-rr-{key}-{uuid.uuid4().hex[:8]}"
        responder = None
        try:
            run_tool([f"{b}/raw_poll", "create-topic", args.brokers, topic, str(PARTITIONS)],
                     os.path.join(log_dir, "create-topic.log"))
            responder = Child(argv(topic, group), os.path.join(log_dir, f"rr-{key}-responder.log"), env)
            if not responder.ready.wait(60):
                raise RuntimeError(f"{key} responder never got its partitions; see {log_dir}/rr-{key}-responder.log")
            for in_flight, count in runs:
                log = os.path.join(log_dir, f"rr-{key}-inflight{in_flight}.log")
                row = {"name": f"request/reply {key} in flight {in_flight}", "kind": "request_reply",
                       "responder": key, "responder_label": label, "asiokafka_producers": linger,
                       "in_flight": in_flight, "count": count, "ok": False, "log": log}
                rows.append(row)
                if not alive(responder.proc.pid):
                    row["error"] = "responder exited"
                    progress.step(f"request/reply {key}, {in_flight} in flight: FAILED ({row['error']})")
                    continue
                cpu0 = cpu_of(responder.proc.pid)
                child = Child([f"{b}/asiokafka_bench", "request", args.brokers, topic, str(count), str(in_flight)],
                              log, env)
                result, usage, code, timed_out = child.wait(120 + count / 20)
                row["responder_cpu_s"] = cpu_of(responder.proc.pid) - cpu0
                row.update({"exit": code, "timed_out": timed_out, "requester_process_cpu_s": usage.ru_utime + usage.ru_stime,
                            "requester_peak_rss_mb": usage.ru_maxrss / 1024})
                if result:
                    row.update({k: v for k, v in result.items() if k != "ok"})
                    row["answered"] = result.get("ok")
                    row["ok"] = (code == 0 and not timed_out and result.get("ok") == count
                                 and result.get("errors") == 0 and result.get("mismatched") == 0)
                    row["responder_cpu_ms_per_round_trip"] = row["responder_cpu_s"] / count * 1e3
                    row["requester_cpu_ms_per_round_trip"] = result["cpu_s"] / count * 1e3
                state = "ok" if row["ok"] else f"FAILED (exit {code}{', timed out' if timed_out else ''}, see {log})"
                progress.step(f"request/reply {key} responder, {in_flight} in flight: {count} requests, "
                              f"{row.get('round_trips_per_s', 0):,.0f} round trips/s, p50 {row.get('p50_ms', 0):.2f} ms, "
                              f"p99 {row.get('p99_ms', 0):.2f} ms {state}")
        except (RuntimeError, OSError) as e:
            print(f"request/reply {key}: {e}", file=sys.stderr, flush=True)
            done = {r["in_flight"] for r in rows if r["responder"] == key}
            for in_flight, count in runs:
                if in_flight not in done:
                    rows.append({"name": f"request/reply {key} in flight {in_flight}", "kind": "request_reply",
                                 "responder": key, "responder_label": label, "asiokafka_producers": linger,
                                 "in_flight": in_flight, "count": count, "ok": False, "error": str(e)})
                    progress.step(f"request/reply {key}, {in_flight} in flight: FAILED ({e})")
        finally:
            if responder is not None:
                if alive(responder.proc.pid):
                    os.kill(responder.proc.pid, signal.SIGTERM)
                summary, _, code, timed_out = responder.wait(60)
                for r in rows:
                    if r["responder"] == key:
                        r["responder_summary"] = summary
                        r["responder_exit"] = code
                        if code != 0 or timed_out:
                            r["ok"] = False
                            r.setdefault("error", f"responder exit {code}{', timed out stopping' if timed_out else ''}")
    return rows


# Consume-transform-produce: both guarantees publish through producers with linger.ms=0. An
# at-least-once handler waits for each output's delivery report before its offset is stored,
# so with librdkafka's default linger (5 ms) it measures the linger, not the client.
TRANSFORM_PRODUCER = "linger.ms=0"


def transform_runs(args, settings, topic, log_dir, progress):
    """`asiokafka_bench transform` over the first transform_count records of the filled topic,
    at-least-once and exactly-once alternately (rounds each), each into a new output topic."""
    b = f"{args.build}/bench"
    count = settings["transform_count"]
    runs = {"alo": [], "eos": []}
    for r in range(settings["rounds"]):
        for mode in (("alo", "eos") if r % 2 == 0 else ("eos", "alo")):
            out = f"bench-out-{mode}-{uuid.uuid4().hex[:8]}"
            run_tool([f"{b}/raw_poll", "create-topic", args.brokers, out, str(PARTITIONS)],
                     os.path.join(log_dir, "create-topic.log"))
            group = f"bench-transform-{mode}-{r + 1}-{uuid.uuid4().hex[:8]}"
            log = os.path.join(log_dir, f"transform-{mode}-r{r + 1}.log")
            child = Child([f"{b}/asiokafka_bench", "transform", args.brokers, topic, group, str(count), out, mode],
                          log, {"BENCH_CONSUMER_CONFIG": LIFTED_PREFETCH, "BENCH_PRODUCER_CONFIG": TRANSFORM_PRODUCER})
            result, usage, code, timed_out = child.wait(count / 500 + 300)
            cpu = usage.ru_utime + usage.ru_stime
            run = {"ok": False, "exit": code, "timed_out": timed_out, "cpu_s": cpu, "log": log}
            if result and result.get("elapsed_s", 0) > 0:
                run.update(result)
                run["ok"] = code == 0 and not timed_out and result.get("count", 0) >= count
                run["msgs_per_s"] = result["count"] / result["elapsed_s"]
                run["cpu_s_per_million"] = cpu / result["count"] * 1e6
            runs[mode].append(run)
            progress.step(f"transform {mode}, round {r + 1}: {fmt_rate(run.get('msgs_per_s', 0))} records/s, "
                          f"{run.get('cpu_s_per_million', 0):.2f} CPU s/M, "
                          f"{run.get('transactions', 0)} transactions {'ok' if run['ok'] else 'FAILED, see ' + log}")
    rows = []
    for mode, label in (("alo", "at-least-once"), ("eos", "exactly-once")):
        good = [x for x in runs[mode] if x["ok"]]
        row = {"name": f"transform {label}", "kind": "transform", "guarantee": label, "count": count,
               "rounds": len(runs[mode]), "rounds_ok": len(good), "ok": len(good) == len(runs[mode]),
               "runs": runs[mode]}
        if good:
            row["msgs_per_s"] = statistics.median(x["msgs_per_s"] for x in good)
            row["cpu_s_per_million"] = statistics.median(x["cpu_s_per_million"] for x in good)
            row["transactions"] = statistics.median(x.get("transactions", 0) for x in good)
        rows.append(row)
    return rows


# The publish path: N records of the `person` JSON, round-robin over PARTITIONS, each contestant
# into a fresh topic, with the composed producer defaults (linger.ms 5). P1 is the raw produce
# loop plus the same JSON encoding, P1h the same with the three headers a broker publish writes
# (fixed values), P2 and P3 the broker's two ways to publish, a callback per delivery.
def publish_contestants(build):
    b = os.path.join(build, "bench")
    return [
        ("P1", "raw librdkafka produce loop + JSON encode", [f"{b}/raw_encode"], []),
        ("P1h", "raw loop + JSON encode + the 3 wire headers", [f"{b}/raw_encode"], ["headers"]),
        ("P2", "asiokafka broker::async_publish<person>", [f"{b}/asiokafka_bench", "publish"], []),
        ("P3", "asiokafka publisher<person>", [f"{b}/asiokafka_bench", "publisher"], []),
    ]


def publish_once(args, cmd, extra, count, log, callgrind=None):
    topic = f"bench-publish-{uuid.uuid4().hex[:8]}"
    run_tool([f"{args.build}/bench/raw_poll", "create-topic", args.brokers, topic, str(PARTITIONS)],
             os.path.join(os.path.dirname(log), "create-topic.log"))
    argv = cmd + [args.brokers, topic, str(count), str(PARTITIONS)] + extra
    if callgrind:
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={callgrind}"] + argv
    child = Child(argv, log)
    result, usage, code, timed_out = child.wait(count / 2000 + 600)
    cpu = usage.ru_utime + usage.ru_stime
    run = {"ok": False, "exit": code, "timed_out": timed_out, "log": log}
    if result and result.get("elapsed_s", 0) > 0:
        run.update(result)
        run["ok"] = code == 0 and not timed_out and result.get("delivered") == count
        run["msgs_per_s"] = count / result["elapsed_s"]
        run["cpu_s_per_million"] = cpu / count * 1e6
    if callgrind and run["ok"] and os.path.exists(callgrind):
        with open(callgrind) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    run["ir_per_record"] = int(line.split()[1]) / count
                    break
    return run


def publish_runs(args, settings, log_dir, progress):
    """Each publish contestant: CALLGRIND_RUNS runs under callgrind (CALLGRIND_RECORDS records)
    and `rounds` interleaved wall-clock runs of publish_count records."""
    cs = publish_contestants(args.build)
    cg = {key: [] for key, *_ in cs}
    wall = {key: [] for key, *_ in cs}
    for r in range(CALLGRIND_RUNS):
        for key, label, cmd, extra in cs:
            base = os.path.join(log_dir, f"publish-callgrind-{key}-r{r + 1}")
            run = publish_once(args, cmd, extra, CALLGRIND_RECORDS, base + ".log", callgrind=base + ".cg")
            cg[key].append(run.get("ir_per_record"))
            progress.step(f"publish callgrind run {r + 1}: {key} {label}: "
                          f"{fmt(run.get('ir_per_record'), 0)} Ir/record {'ok' if run['ok'] else 'FAILED, see ' + run['log']}")
    for r in range(settings["rounds"]):
        order = cs[r % len(cs):] + cs[:r % len(cs)]
        for key, label, cmd, extra in order:
            run = publish_once(args, cmd, extra, settings["publish_count"],
                               os.path.join(log_dir, f"publish-{key}-r{r + 1}.log"))
            wall[key].append(run)
            progress.step(f"publish round {r + 1}: {key} {label}: {fmt_rate(run.get('msgs_per_s', 0))} records/s, "
                          f"{run.get('cpu_s_per_million', 0):.2f} CPU s/M {'ok' if run['ok'] else 'FAILED, see ' + run['log']}")
    rows = []
    for key, label, *_ in cs:
        good = [x for x in wall[key] if x["ok"]]
        irs = [v for v in cg[key] if v is not None]
        row = {"name": label, "id": key, "kind": "publish", "count": settings["publish_count"],
               "rounds": len(wall[key]), "rounds_ok": len(good),
               "ok": len(good) == len(wall[key]) and len(irs) == CALLGRIND_RUNS, "ir_runs": cg[key], "runs": wall[key]}
        if irs:
            row["ir_per_record"] = statistics.mean(irs)
            row["ir_spread_pct"] = (max(irs) - min(irs)) / min(irs) * 100
        if good:
            row["msgs_per_s"] = statistics.median(x["msgs_per_s"] for x in good)
            row["cpu_s_per_million"] = statistics.median(x["cpu_s_per_million"] for x in good)
        rows.append(row)
    return rows


def publish_markdown(rows):
    by = {r["id"]: r for r in rows}

    def ratio(a, b):
        x, y = by.get(a, {}).get("ir_per_record"), by.get(b, {}).get("ir_per_record")
        return x / y if x and y else None

    lines = [
        "",
        f"Publish path: {rows[0]['count']:,} records of the person JSON (100 bytes) round-robin over {PARTITIONS} "
        "partitions, the composed producer defaults, a callback per delivery; instructions per record under "
        f"callgrind ({CALLGRIND_RECORDS:,} records, whole process, {CALLGRIND_RUNS} runs), records/s and CPU the "
        "medians of interleaved rounds.",
        "",
        "| # | contestant | instructions / record | spread | records/s | CPU s / M records | rounds ok |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['id']} | {r['name']} | {fmt(r.get('ir_per_record'), 0)} | {fmt(r.get('ir_spread_pct'), 2)} % | "
                     f"{fmt(r.get('msgs_per_s'), 0)} | {fmt(r.get('cpu_s_per_million'), 2)} | "
                     f"{r['rounds_ok']}/{r['rounds']} |")
    lines += ["", "| ratio (instructions) | measured | target |", "|---|---:|---:|",
              f"| P2 / P1 (async_publish vs raw + encode) | {fmt(ratio('P2', 'P1'), 3)} | <= 1.15 |",
              f"| P3 / P1 (publisher vs raw + encode) | {fmt(ratio('P3', 'P1'), 3)} | <= 1.15 |",
              f"| P2 / P1h (async_publish vs raw + encode + the same headers) | {fmt(ratio('P2', 'P1h'), 3)} | - |"]
    return "\n".join(lines) + "\n"


def transform_markdown(rows):
    by = {r["guarantee"]: r for r in rows}
    alo, eos = by.get("at-least-once", {}), by.get("exactly-once", {})
    ratio = eos.get("msgs_per_s", 0) / alo["msgs_per_s"] if alo.get("msgs_per_s") else None
    lines = [
        "",
        f"Consume-transform-produce: subscriber<person> (max_concurrency 8) publishing each record to the "
        f"same partition of an output topic, {rows[0]['count']:,} records, producers at linger.ms=0; medians "
        "of interleaved rounds. At-least-once waits for each output's delivery before storing its offset; "
        "exactly-once commits outputs and offsets in transactions (max 1000 records / 100 ms).",
        "",
        "| guarantee | records/s | CPU s / M records | transactions | rounds ok |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['guarantee']} | {fmt(r.get('msgs_per_s'), 0)} | {fmt(r.get('cpu_s_per_million'), 2)} | "
                     f"{fmt(r.get('transactions'), 0)} | {r['rounds_ok']}/{r['rounds']} |")
    lines.append("")
    lines.append(f"exactly-once / at-least-once throughput: {fmt(ratio, 2) if ratio else '-'}")
    return "\n".join(lines) + "\n"


def idle_run(label, argv, seconds, log_dir, progress):
    result = run_tool(argv, os.path.join(log_dir, f"idle-{label}.log"), timeout=seconds + 120)
    progress.step(f"idle {label}: {result['cpu_pct']:.3f}% of a core over {result['idle_s']:.1f} s")
    return result["cpu_pct"]


# ---- environment ----------------------------------------------------------------------------

def machine(args):
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    try:
        compiler = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except OSError:
        compiler = "unknown"
    import confluent_kafka
    return {
        "name": "machine",
        "kind": "machine",
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "kafka_version": args.kafka_version,
        "librdkafka_version": args.librdkafka_version,
        "compiler": compiler,
        "python": platform.python_version(),
        "faststream": metadata.version("faststream"),
        "confluent_kafka": metadata.version("confluent-kafka"),
        "confluent_kafka_bundled_librdkafka": confluent_kafka.libversion()[0],
        "pydantic": metadata.version("pydantic"),
    }


# ---- report ---------------------------------------------------------------------------------

def fmt(x, digits=1):
    return "-" if x is None else f"{x:,.{digits}f}"


def ratio_rows(by_key, idle, lat):
    def rate(key):
        return by_key.get(key, {}).get("msgs_per_s")

    def div(a, b):
        return a / b if a is not None and b else None

    def rss(key):  # peak RSS at librdkafka's default prefetch (the lifted one prefetches the topic)
        return by_key.get(key, {}).get("librdkafka_default_prefetch", {}).get("peak_rss_mb")

    def cpu(key):  # CPU seconds per million records, lifted prefetch (the main table)
        return by_key.get(key, {}).get("cpu_s_per_million")

    p99_4 = lat.get("4", {}).get("p99_ms")
    p99_1 = lat.get("1", {}).get("p99_ms")
    p99_3 = lat.get("3", {}).get("p99_ms")  # medians of the latency rounds

    def over(a, b):  # what a adds to the broker's p99 beyond what b adds (medians over the rounds)
        x, y = lat.get(a, {}).get("p99_over_broker_ms"), lat.get(b, {}).get("p99_over_broker_ms")
        return None if x is None or y is None else x - y

    rows = [
        ("3 / 1 throughput (async_receive vs raw poll)", div(rate("3"), rate("1")), ">= 0.97", lambda v: v >= 0.97, 3),
        ("3s / 1 throughput (message_stream::next vs raw poll)", div(rate("3s"), rate("1")), ">= 0.97",
         lambda v: v >= 0.97, 3),
        ("4 / 2 throughput (subscriber<person> vs raw + decode)", div(rate("4"), rate("2")), ">= 0.9",
         lambda v: v >= 0.9, 3),
        ("4 / 5 throughput (subscriber<person> vs FastStream)", div(rate("4"), rate("5")), ">= 50",
         lambda v: v >= 50, 1),
        ("4 / 7 throughput (subscriber<person> vs rust-rdkafka StreamConsumer + serde_json)",
         div(rate("4"), rate("7")), "> 1", lambda v: v > 1, 3),
        ("4 / 8 throughput (subscriber<person> vs Java KafkaConsumer + Jackson)", div(rate("4"), rate("8")), "> 1",
         lambda v: v > 1, 3),
        ("CPU(4) / CPU(7) per record (subscriber<person> vs rust-rdkafka + serde_json)", div(cpu("4"), cpu("7")),
         "< 1", lambda v: v < 1, 3),
        ("CPU(4) / CPU(8) per record (subscriber<person> vs Java KafkaConsumer + Jackson)", div(cpu("4"), cpu("8")),
         "< 1", lambda v: v < 1, 3),
        ("idle CPU of an asiokafka consumer (% of a core)", idle.get("asiokafka_consumer_cpu_pct"), "< 1",
         lambda v: v < 1, 3),
        ("peak RSS 4 / 2 at librdkafka's default prefetch (subscriber<person> vs raw + decode)",
         div(rss("4"), rss("2")), "<= 1.3", lambda v: v <= 1.3, 2),
        ("p99(4) - p99(1) latency (ms, medians of the rounds)",
         None if p99_4 is None or p99_1 is None else p99_4 - p99_1, "<= 0.5", lambda v: v <= 0.5, 3),
        ("p99(3) - p99(1) latency (ms, medians of the rounds)",
         None if p99_3 is None or p99_1 is None else p99_3 - p99_1, "<= 0.5", lambda v: v <= 0.5, 3),
        ("p99(4) - p99(1) latency, each over the broker's p99 of its run (ms)", over("4", "1"), "<= 0.5",
         lambda v: v <= 0.5, 3),
        ("p99(3) - p99(1) latency, each over the broker's p99 of its run (ms)", over("3", "1"), "<= 0.5",
         lambda v: v <= 0.5, 3),
    ]
    return [{"ratio": name, "value": v, "target": target, "met": None if v is None else bool(ok(v)), "digits": d}
            for name, v, target, ok, d in rows]


def markdown(machine_info, settings_name, settings, fill, table, defaults_table, lat, idle, ratios, rr):
    m = machine_info
    lines = [
        f"## Results ({settings_name}: N = {settings['count']:,} records of 100 bytes, 8 partitions, "
        f"median of {settings['rounds']} interleaved rounds)",
        "",
        f"Machine: {m['cores']} cores, {m['cpu_model']}, {m['memory_gib']} GiB; Apache Kafka {m['kafka_version']} "
        f"(single node, same machine); librdkafka {m['librdkafka_version']} for the C/C++ contestants, "
        f"{m['confluent_kafka_bundled_librdkafka']} bundled with confluent-kafka {m['confluent_kafka']}; "
        f"FastStream {m['faststream']}, pydantic {m['pydantic']}, Python {m['python']}; {m['compiler']}.",
        "",
    ]
    peer_notes = []
    if m.get("rust_rdkafka"):
        peer_notes.append(f"7: rdkafka crate {m['rust_rdkafka']} with its bundled librdkafka "
                          f"{m.get('rust_rdkafka_bundled_librdkafka')} ({m.get('rustc')})")
    if m.get("kafka_clients"):
        peer_notes.append(f"8: kafka-clients {m['kafka_clients']}, Jackson {m.get('jackson')}, "
                          f"JDK {m.get('jdk')} ({m.get('jvm')})")
    if peer_notes:
        lines += ["Peers: " + "; ".join(peer_notes) + ".", ""]
    lines += [
        f"Fill: {fill['count']:,} records produced with asiokafka::producer (fire-and-forget produce + async_flush) "
        f"in {fill['elapsed_s']:.2f} s = {fmt_rate(fill['count'] / fill['elapsed_s'])} records/s.",
        "",
        "Consumer prefetch limits lifted for every contestant (queued.min.messages=10000000, "
        "queued.max.messages.kbytes=2097151); fetch sizes at librdkafka's defaults. Peer 8, the Java client, has "
        "no such queue and runs the same in both tables (docs/benchmarks.md).",
        "",
        "| # | contestant | msgs/s (min-max) | MB/s | CPU s / M msgs (min-max) | peak RSS MiB | p50 ms | p99 ms | p999 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in table:
        note = f" ({row['count']:,} records)" if row.get("count") and row["count"] != settings["count"] else ""
        failed = "" if row.get("rounds_ok") == row.get("rounds") else f" ({row.get('rounds_ok')}/{row.get('rounds')} rounds ok)"
        lines.append(
            f"| {row['id']} | {row['name']}{note}{failed} | {fmt(row.get('msgs_per_s'), 0)} "
            f"({fmt(row.get('msgs_per_s_min'), 0)}-{fmt(row.get('msgs_per_s_max'), 0)}) | {fmt(row.get('mb_per_s'))} | "
            f"{fmt(row.get('cpu_s_per_million'), 2)} ({fmt(row.get('cpu_s_per_million_min'), 2)}-"
            f"{fmt(row.get('cpu_s_per_million_max'), 2)}) | {fmt(row.get('peak_rss_mb'), 0)} | {fmt(row.get('p50_ms'), 2)} | "
            f"{fmt(row.get('p99_ms'), 2)} | {fmt(row.get('p999_ms'), 2)} |")
    lines += [""] + latency_markdown(lat, settings, settings_name) + [
        "",
        "| ratio | measured | target | met |",
        "|---|---:|---:|---|",
    ]
    for r in ratios:
        v = "-" if r["value"] is None else f"{r['value']:,.{r['digits']}f}"
        met = "-" if r["met"] is None else ("yes" if r["met"] else "**no**")
        lines.append(f"| {r['ratio']} | {v} | {r['target']} | {met} |")
    lines += [
        "",
        f"Idle (subscribed, assigned, nothing to consume; {settings['idle_s']} s): "
        f"asiokafka consumer {idle['asiokafka_consumer_cpu_pct']:.3f}% of a core, "
        f"asiokafka broker subscriber {idle['asiokafka_subscriber_cpu_pct']:.3f}%, "
        f"raw librdkafka poll loop {idle['raw_librdkafka_cpu_pct']:.3f}%.",
        "",
        "With librdkafka's default prefetch limits (queued.min.messages=100000, queued.max.messages.kbytes=65536):",
        "",
        "| # | contestant | msgs/s | MB/s | CPU s / M msgs | peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in defaults_table:
        lines.append(f"| {row['id']} | {row['name']} | {fmt(row.get('msgs_per_s'), 0)} | {fmt(row.get('mb_per_s'))} | "
                     f"{fmt(row.get('cpu_s_per_million'), 2)} | {fmt(row.get('peak_rss_mb'), 0)} |")
    lines += [
        "",
        f"Request/reply: asiokafka `broker::async_request<person>` to an 8-partition topic, answered by the "
        f"responder (a subscriber returning the person); round trip = call to completion; one request at a time "
        f"({settings['rr_latency_count']:,} requests) and {RR_IN_FLIGHT} in flight ({settings['rr_count']:,} requests). "
        "asiokafka's producers (the requester's; the asiokafka responder's replies) at librdkafka's default "
        f"linger.ms (5 ms), then at {RR_LINGER}; FastStream's producer at its default linger_ms=0 throughout:",
        "",
        "| responder | asiokafka producers | in flight | requests | round trips/s | p50 ms | p99 ms | "
        "requester CPU ms / rt | responder CPU ms / rt |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rr:
        failed = "" if r["ok"] else f" (**failed**: {r.get('error') or 'see ' + str(r.get('log'))})"
        lines.append(f"| {r['responder_label']}{failed} | {r['asiokafka_producers']} | {r['in_flight']} | {r['count']:,} | "
                     f"{fmt(r.get('round_trips_per_s'), 0)} | {fmt(r.get('p50_ms'), 2)} | {fmt(r.get('p99_ms'), 2)} | "
                     f"{fmt(r.get('requester_cpu_ms_per_round_trip'), 3)} | "
                     f"{fmt(r.get('responder_cpu_ms_per_round_trip'), 3)} |")
    return "\n".join(lines) + "\n"


def chart(path, table, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in table if r.get("msgs_per_s")]
    labels = [f"{r['id']}" for r in rows]
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    fig.suptitle(title)
    colors = ["#888888" if r["id"] in ("1", "2") else "#1f77b4" if r["id"].startswith(("3", "4"))
              else "#2ca02c" if r["id"] in ("7", "8") else "#d62728" for r in rows]
    for ax, key, name, log in ((axes[0][0], "msgs_per_s", "records/s (log)", True),
                               (axes[0][1], "cpu_s_per_million", "CPU s per million records (log)", True),
                               (axes[1][0], "peak_rss_mb", "peak RSS (MiB)", False)):
        values = [r[key] for r in rows]
        ax.bar(labels, values, color=colors)
        ax.set_title(name)
        if log:
            ax.set_yscale("log")
        for i, v in enumerate(values):
            ax.annotate(fmt_rate(v) if key == "msgs_per_s" else f"{v:.1f}", (i, v), ha="center", va="bottom",
                        fontsize=8)
    lat_rows = [r for r in table if r.get("p99_ms") is not None]
    ax = axes[1][1]
    width = 0.25
    for j, (key, name) in enumerate((("p50_ms", "p50"), ("p99_ms", "p99"), ("p999_ms", "p999"))):
        xs = [i + (j - 1) * width for i in range(len(lat_rows))]
        ax.bar(xs, [r[key] for r in lat_rows], width, label=name)
    ax.set_xticks(range(len(lat_rows)), [r["id"] for r in lat_rows])
    ax.set_title(f"latency produce → handler at {LATENCY_RATE // 1000}k/s (ms)")
    ax.legend()
    legend = "\n".join(f"{r['id']}: {r['name']}" for r in rows)
    fig.text(0.01, 0.01, legend, fontsize=8, va="bottom", family="monospace")
    fig.tight_layout(rect=(0, 0.02 + 0.013 * len(rows), 1, 0.96))
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---- main -----------------------------------------------------------------------------------

def latency_only(args, settings_name, settings, log_dir, progress):
    """--only latency: the latency rounds and their ratio rows, nothing else (a developer's check)."""
    lat = latency_runs(args, settings, settings_name, log_dir, progress)
    ratios = [r for r in ratio_rows({}, {}, lat) if r["ratio"].startswith("p99(")]
    lines = [""] + latency_markdown(lat, settings, settings_name) + [
        "", "| ratio | measured | target | met |", "|---|---:|---:|---|"]
    for r in ratios:
        v = "-" if r["value"] is None else f"{r['value']:,.{r['digits']}f}"
        lines.append(f"| {r['ratio']} | {v} | {r['target']} | {'-' if r['met'] is None else 'yes' if r['met'] else '**no**'} |")
    md = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "results-latency.json"), "w") as f:
        json.dump({"settings": {"mode": settings_name, "latency_s": settings["latency_s"], "rate": LATENCY_RATE,
                                "warmup_s": LATENCY_WARMUP_S, "rounds": LATENCY_ROUNDS[settings_name],
                                "producer": LATENCY_PRODUCER, "consumer": LIFTED_PREFETCH},
                   "latency": lat, "ratios": [{k: v for k, v in r.items() if k != "digits"} for r in ratios]},
                  f, indent=2)
    with open(os.path.join(args.out, "results-latency.md"), "w") as f:
        f.write(md)
    print(md)
    failed = [k for k, v in lat.items() if k != "broker" and v["latency_rounds_ok"] != v["latency_rounds"]]
    if failed:
        print("some latency rounds failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--build", required=True, help="CMake build directory with bench/ targets")
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--kafka-version", default="unknown")
    parser.add_argument("--librdkafka-version", default="unknown")
    parser.add_argument("--only", choices=["latency"],
                        help="developer flag: run only this part (latency: the interleaved latency rounds of 1, 3, 4 "
                             "and their ratio rows) and write OUT/results-latency.json and .md")
    args = parser.parse_args()

    settings_name = "quick" if args.quick else "full"
    settings = SETTINGS[settings_name]
    os.makedirs(args.out, exist_ok=True)
    log_dir = os.path.join(args.out, "logs")
    os.makedirs(log_dir, exist_ok=True)
    python = sys.executable
    cs = contestants(args.build, python)
    rounds = settings["rounds"]
    defaults_cs = [c for c in cs if c.in_defaults_table]
    latency_steps = LATENCY_ROUNDS[settings_name] * len(latency_contestants(args.build))
    if args.only == "latency":
        return latency_only(args, settings_name, settings, log_dir, Progress(latency_steps))
    total_steps = (1 + rounds * (len(cs) + len(defaults_cs)) + CALLGRIND_RUNS * sum(c.native for c in cs)
                   + latency_steps + 8 + 2 * rounds + 3 + len(publish_contestants(args.build)) * (CALLGRIND_RUNS + rounds))
    progress = Progress(total_steps)
    machine_info = machine(args)
    machine_info.update(peer_versions(args.build, log_dir))

    n = settings["count"]
    topic = f"bench-{n}-{uuid.uuid4().hex[:8]}"
    run_tool([f"{args.build}/bench/raw_poll", "create-topic", args.brokers, topic, str(PARTITIONS)],
             os.path.join(log_dir, "create-topic.log"))
    fill = run_tool([f"{args.build}/bench/asiokafka_bench", "fill", args.brokers, topic, str(n), str(PARTITIONS)],
                    os.path.join(log_dir, "fill.log"), timeout=1200)
    progress.step(f"filled {topic}: {n:,} records in {fill['elapsed_s']:.2f} s "
                  f"({fmt_rate(n / fill['elapsed_s'])} records/s)")

    runs = {("lifted", c.key): [] for c in cs}
    runs.update({("default", c.key): [] for c in defaults_cs})
    for prefetch, group in (("lifted", cs), ("default", defaults_cs)):
        for r in range(rounds):
            # Interleaved: every round runs each contestant once, starting one further along.
            order = group[r % len(group):] + group[:r % len(group)]
            for c in order:
                count = settings[c.count_key]
                timeout = 600 if c.count_key == "count" else count / 500 + 120
                run = consume_run(c, args, topic, count, prefetch, log_dir, r + 1, timeout)
                runs[(prefetch, c.key)].append(run)
                state = "ok" if run["ok"] else f"FAILED (exit {run['exit']}, see {run['log']})"
                progress.step(f"{prefetch} prefetch, round {r + 1}/{rounds}: {c.key} {c.label}: "
                              f"{fmt_rate(run.get('msgs_per_s', 0))} msgs/s, "
                              f"{run.get('cpu_s_per_million', 0):.2f} CPU s/M, {run['peak_rss_mb']:.0f} MiB {state}")

    cg = callgrind_runs(cs, args, log_dir, progress)
    cg_ratios = callgrind_ratios(cg)

    lat = latency_runs(args, settings, settings_name, log_dir, progress)
    b = f"{args.build}/bench"

    rr = request_reply_runs(args, settings, log_dir, progress, python)
    tx = transform_runs(args, settings, topic, log_dir, progress)
    pub = publish_runs(args, settings, log_dir, progress)

    idle_topic = f"bench-idle-{uuid.uuid4().hex[:8]}"
    run_tool([f"{b}/raw_poll", "create-topic", args.brokers, idle_topic, str(PARTITIONS)],
             os.path.join(log_dir, "create-topic.log"))
    secs = str(settings["idle_s"])
    idle = {"name": "idle", "kind": "idle", "seconds": settings["idle_s"]}
    idle["asiokafka_consumer_cpu_pct"] = idle_run(
        "asiokafka-consumer", [f"{b}/asiokafka_bench", "idle-receive", args.brokers, idle_topic,
                               f"bench-idle-3-{uuid.uuid4().hex[:8]}", secs], settings["idle_s"], log_dir, progress)
    idle["asiokafka_subscriber_cpu_pct"] = idle_run(
        "asiokafka-subscriber", [f"{b}/asiokafka_bench", "idle-subscriber", args.brokers, idle_topic,
                                 f"bench-idle-4-{uuid.uuid4().hex[:8]}", secs], settings["idle_s"], log_dir, progress)
    idle["raw_librdkafka_cpu_pct"] = idle_run(
        "raw-librdkafka", [f"{b}/raw_poll", "idle", args.brokers, idle_topic,
                           f"bench-idle-1-{uuid.uuid4().hex[:8]}", secs], settings["idle_s"], log_dir, progress)

    table, defaults_table = [], []
    for c in cs:
        row = {"name": c.label, "id": c.key, "kind": "contestant"}
        row.update(summarize(runs[("lifted", c.key)]))
        row.update(lat.get(c.key, {}))
        if ("default", c.key) in runs:
            d = summarize(runs[("default", c.key)])
            row["librdkafka_default_prefetch"] = d
            defaults_table.append({"name": c.label, "id": c.key, **d})
        row["runs"] = runs[("lifted", c.key)]
        table.append(row)
    by_key = {r["id"]: r for r in table}
    ratios = ratio_rows(by_key, idle, lat)
    fill_obj = {"name": "fill", "kind": "fill", "count": n, "elapsed_s": fill["elapsed_s"],
                "records_per_s": n / fill["elapsed_s"]}
    ratio_obj = {"name": "ratios", "kind": "ratios",
                 "rows": [{k: v for k, v in r.items() if k != "digits"} for r in ratios]}
    settings_obj = {"name": "settings", "kind": "settings", "mode": settings_name, **settings,
                    "rr_in_flight": RR_IN_FLIGHT, "rr_linger": RR_LINGER, "latency_rate": LATENCY_RATE, "latency_warmup_s": LATENCY_WARMUP_S,
                    "latency_rounds": LATENCY_ROUNDS[settings_name], "latency_producer": LATENCY_PRODUCER,
                    "lifted_prefetch": LIFTED_PREFETCH, "partitions": PARTITIONS}
    callgrind_obj = {"name": "callgrind", "kind": "callgrind", "records": CALLGRIND_RECORDS, "runs": CALLGRIND_RUNS,
                     "rows": cg, "ratios": cg_ratios}
    latency_ref = {"name": "latency broker reference", "kind": "latency_reference", **lat["broker"]}
    results = table + rr + tx + pub + [idle, fill_obj, ratio_obj, latency_ref, callgrind_obj, settings_obj, machine_info]
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    md = markdown(machine_info, settings_name, settings, fill_obj, table, defaults_table, lat, idle, ratios, rr)
    md += callgrind_markdown(cg, cg_ratios)
    md += transform_markdown(tx)
    md += publish_markdown(pub)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    chart(os.path.join(args.out, "results.png"), table,
          f"asiokafka bench ({settings_name}, N={n:,}, {machine_info['cores']} cores)")
    print()
    print(md)
    print(f"results: {args.out}/results.json, results.md, results.png; logs in {log_dir}")
    failed = [r for r in table if r.get("rounds_ok") != r.get("rounds")]
    failed += [r for r in defaults_table if r.get("rounds_ok") != r.get("rounds")]
    if failed:
        print("some rounds failed: " + ", ".join(r["id"] for r in failed), file=sys.stderr)
    rr_failed = [r["name"] for r in rr if not r["ok"]]
    if rr_failed:
        print("some request/reply runs failed: " + ", ".join(rr_failed), file=sys.stderr)
    tx_failed = [r["name"] for r in tx if not r["ok"]]
    if tx_failed:
        print("some transform runs failed: " + ", ".join(tx_failed), file=sys.stderr)
    cg_failed = [r["id"] for r in cg if not r["ok"]]
    if cg_failed:
        print("some callgrind runs failed: " + ", ".join(cg_failed), file=sys.stderr)
    lat_failed = [k for k, v in lat.items() if k != "broker" and v["latency_rounds_ok"] != v["latency_rounds"]]
    if lat_failed:
        print("some latency rounds failed: " + ", ".join(lat_failed), file=sys.stderr)
    pub_failed = [r["id"] for r in pub if not r["ok"]]
    if pub_failed:
        print("some publish runs failed: " + ", ".join(pub_failed), file=sys.stderr)
    return 1 if failed or rr_failed or tx_failed or cg_failed or lat_failed or pub_failed else 0


if __name__ == "__main__":
    sys.exit(main())
