"""Contestant 6: confluent-kafka-python's raw consumer loop, no decoding.

    python confluent_poll.py poll    BROKERS TOPIC GROUP COUNT   consumer.poll(), one record per call
    python confluent_poll.py consume BROKERS TOPIC GROUP COUNT   consumer.consume(num_messages=1000)

Prints one JSON object on stdout, like the C++ contestants (bench/bench_common.hpp).
"""

import json
import os
import sys
import time

from confluent_kafka import Consumer

BATCH = 1000
DEADLINE_S = 1800.0


def extra_config():
    """BENCH_CONSUMER_CONFIG="key=value,...": the driver's settings shared by every contestant."""
    out = {}
    for item in filter(None, os.environ.get("BENCH_CONSUMER_CONFIG", "").split(",")):
        key, value = item.split("=", 1)
        out[key] = value
    return out


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ("poll", "consume"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, brokers, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    conf = {
        "bootstrap.servers": brokers,
        "group.id": group,
        "client.id": "bench-python",
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
    }
    conf.update(extra_config())
    consumer = Consumer(conf)
    start = time.monotonic()
    joined = [0.0]

    def on_assign(_consumer, _partitions):
        if not joined[0]:
            joined[0] = time.monotonic() - start

    consumer.subscribe([topic], on_assign=on_assign)

    n = 0
    nbytes = 0
    out_of_order = 0
    next_offset = [0] * 64
    first = 0.0
    deadline = start + DEADLINE_S
    status = 0
    while n < count:
        if mode == "poll":
            m = consumer.poll(1.0)
            records = () if m is None else (m,)
        else:
            records = consumer.consume(num_messages=min(BATCH, count - n), timeout=1.0)
        if not records and time.monotonic() > deadline:
            print(f"confluent_poll: deadline: {n} of {count} records", file=sys.stderr)
            status = 1
            break
        for m in records:
            if m.error():
                print(f"confluent_poll: {m.error()}", file=sys.stderr)
                continue
            if n == 0:
                first = time.monotonic()
            n += 1
            nbytes += len(m.value())
            p, o = m.partition(), m.offset()
            if next_offset[p] != o:
                out_of_order += 1
            next_offset[p] = o + 1
    last = time.monotonic()
    consumer.close()
    print(json.dumps({"count": n, "bytes": nbytes, "elapsed_s": last - first, "join_s": joined[0],
                      "offsets_sum": sum(next_offset), "out_of_order": out_of_order}), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
