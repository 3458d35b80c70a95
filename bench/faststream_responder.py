"""The FastStream responder of the request/reply run: a FastStream (faststream[confluent])
subscriber on TOPIC returning the pydantic Person it got, which FastStream publishes to the
request's reply_to with its correlation_id. FastStream's defaults otherwise (one record at a
time, ack policy ACK_FIRST, its producer's linger_ms=0), per-message logging off.

    python faststream_responder.py BROKERS TOPIC GROUP

Prints "ready" once its partitions are assigned, answers until SIGTERM or SIGINT, then stops
the broker and prints one JSON object on stdout (what it handled).
"""

import asyncio
import json
import signal
import sys

from faststream.confluent import KafkaBroker
from pydantic import BaseModel


class Person(BaseModel):
    """bench::person (bench/bench_common.hpp), as in faststream_sub.py."""

    name: str
    age: int
    pad: str


async def run(brokers, topic, group):
    broker = KafkaBroker(brokers, client_id="bench-faststream-responder", logger=None,
                         config={"enable.partition.eof": False})
    state = {"handled": 0, "ready": False}

    def on_assign(_consumer, partitions):
        # Called from the consumer's thread; one line, flushed.
        if partitions and not state["ready"]:
            state["ready"] = True
            print("ready", flush=True)

    @broker.subscriber(topic, group_id=group, auto_offset_reset="earliest", on_assign=on_assign)
    async def respond(person: Person) -> Person:
        state["handled"] += 1
        return person

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await broker.start()
    try:
        await stop.wait()
    finally:
        await broker.stop()
    return {"handled": state["handled"]}


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    result = asyncio.run(run(sys.argv[1], sys.argv[2], sys.argv[3]))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
