"""Contestant 5: a FastStream (faststream[confluent]) subscriber decoding into a pydantic model
equivalent to bench::person, FastStream's defaults otherwise (ack policy ACK_FIRST with
librdkafka's auto-commit, one record per poll), its per-message logging switched off.

    python faststream_sub.py BROKERS TOPIC GROUP COUNT

Prints one JSON object on stdout, like the C++ contestants (bench/bench_common.hpp).
"""

import asyncio
import json
import os
import sys
import time

from faststream.confluent import KafkaBroker, KafkaMessage
from pydantic import BaseModel


class Person(BaseModel):
    name: str
    age: int
    pad: str


def extra_config():
    """BENCH_CONSUMER_CONFIG="key=value,...": the driver's settings shared by every contestant."""
    out = {}
    for item in filter(None, os.environ.get("BENCH_CONSUMER_CONFIG", "").split(",")):
        key, value = item.split("=", 1)
        out[key] = int(value) if value.isdigit() else value
    return out


async def run(brokers, topic, group, count):
    config = {"enable.partition.eof": False}
    config.update(extra_config())
    broker = KafkaBroker(brokers, client_id="bench-faststream", logger=None, config=config)
    start = time.monotonic()
    state = {"n": 0, "bytes": 0, "first": 0.0, "last": 0.0, "joined": 0.0, "out_of_order": 0, "checksum": 0}
    next_offset = [0] * 64
    done = asyncio.Event()

    def on_assign(_consumer, _partitions):
        if not state["joined"]:
            state["joined"] = time.monotonic() - start

    @broker.subscriber(topic, group_id=group, auto_offset_reset="earliest", on_assign=on_assign)
    async def handle(person: Person, msg: KafkaMessage) -> None:
        if state["n"] >= count:
            return  # handled while the broker stops, after the measured records: not counted
        if state["n"] == 0:
            state["first"] = time.monotonic()
        state["n"] += 1
        state["checksum"] += person.age + len(person.name) + len(person.pad)
        raw = msg.raw_message
        state["bytes"] += len(raw.value())
        p, o = raw.partition(), raw.offset()
        if next_offset[p] != o:
            state["out_of_order"] += 1
        next_offset[p] = o + 1
        if state["n"] == count:
            state["last"] = time.monotonic()
            done.set()

    await broker.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=3600)
    finally:
        await broker.stop()
    return {"count": state["n"], "bytes": state["bytes"], "elapsed_s": state["last"] - state["first"],
            "join_s": state["joined"], "offsets_sum": sum(next_offset), "out_of_order": state["out_of_order"],
            "checksum": state["checksum"]}


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    result = asyncio.run(run(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
