"""`kuaiban`: operator commands.

    kuaiban declare                  declare every event queue, retry and dead-letter queue
    kuaiban dlq list                 dead-letter queues and how many messages each holds
    kuaiban dlq show QUEUE [-n N]    the first N messages of a dead-letter queue (left in place)
    kuaiban dlq replay QUEUE [-n N]  send N messages (default all) back to their handler's queue
"""
from __future__ import annotations

import argparse
import json
import sys

from amqp.exceptions import NotFound as QueueNotFound
from nameko.amqp.publish import get_connection

from shared.config import load_config
from shared.reliable import (
    ATTEMPTS_HEADER, DEFAULT_EXCHANGE, QUEUE_HEADER, dead_letter_queues, declare_topology,
)


def queue_depth(channel, name: str) -> int:
    try:
        return channel.queue_declare(name, passive=True).message_count
    except QueueNotFound:
        return 0


def take(channel, queue: str, limit: int | None):
    """Messages from the head of `queue`, unacked (the caller acks or requeues them)."""
    taken = []
    while limit is None or len(taken) < limit:
        message = channel.basic_get(queue, no_ack=False)
        if message is None:
            break
        taken.append(message)
    return taken


def dlq_list(config: dict, out=None) -> dict[str, int]:
    out = out or sys.stdout
    with get_connection(config["AMQP_URI"]) as connection:
        depths = {name: queue_depth(connection.default_channel, name)
                  for name in dead_letter_queues(config)}
    for name, depth in depths.items():
        print(f"{depth:6d}  {name}", file=out)
    return depths


def dlq_show(config: dict, queue: str, limit: int, out=None) -> list[dict]:
    out = out or sys.stdout
    shown = []
    with get_connection(config["AMQP_URI"]) as connection:
        channel = connection.default_channel
        messages = take(channel, queue, limit)
        for message in messages:
            entry = {"headers": dict(message.headers or {}), "payload": json.loads(message.body)}
            shown.append(entry)
            print(json.dumps(entry, ensure_ascii=False, indent=2, default=str), file=out)
        for message in messages:  # leave them where they were
            channel.basic_reject(message.delivery_tag, requeue=True)
        if messages:
            # A reject has no answer; the broker handles a channel's methods in order, so once
            # this declare is answered the messages are back (a count right after sees them).
            channel.queue_declare(queue, passive=True)
    return shown


def dlq_replay(config: dict, queue: str, limit: int | None, out=None) -> int:
    out = out or sys.stdout
    replayed = 0
    with get_connection(config["AMQP_URI"]) as connection:
        channel = connection.default_channel
        producer = connection.Producer(channel)
        for message in take(channel, queue, limit):
            headers = dict(message.headers or {})
            target = headers.get(QUEUE_HEADER) or queue.removeprefix("dlq.")
            headers.pop(ATTEMPTS_HEADER, None)  # a fresh set of attempts
            producer.publish(message.body, exchange=DEFAULT_EXCHANGE, routing_key=target,
                             headers=headers, content_type=message.content_type,
                             content_encoding=message.content_encoding, delivery_mode=2)
            channel.basic_ack(message.delivery_tag)
            replayed += 1
    print(f"replayed {replayed} message(s) from {queue}", file=out)
    return replayed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="kuaiban", description="Kuaiban operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("declare", help="declare every event queue")
    dlq = commands.add_parser("dlq", help="dead-letter queues").add_subparsers(
        dest="action", required=True)
    dlq.add_parser("list")
    for action in ("show", "replay"):
        sub = dlq.add_parser(action)
        sub.add_argument("queue")
        sub.add_argument("-n", "--limit", type=int, default=10 if action == "show" else None)
    args = parser.parse_args(argv)
    config = load_config()
    if args.command == "declare":
        print(f"declared the queues of {declare_topology(config)} event handlers")
    elif args.action == "list":
        dlq_list(config)
    elif args.action == "show":
        dlq_show(config, args.queue, args.limit)
    else:
        dlq_replay(config, args.queue, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
