"""librdkafka (Debian python3-confluent-kafka) writes records for the record-batch cross-check.

Reads one JSON object from stdin: {bootstrap, topic, codec, idempotent, batchRecordsMax,
messages: [{key, value, headers}]} where key/value/header values are base64 or null and headers
is a list of [name, base64-or-null] pairs (or null for none). Produces them in order to
partition 0 with the given compression, holding them long enough (linger) that each batch
carries several records. Prints one JSON line: the delivery report of every message in order
({offset, timestamp}) or {errors}; exits non-zero on any failure."""
import base64
import json
import sys

from confluent_kafka import Producer

spec = json.load(sys.stdin)


def raw(text):
    return None if text is None else base64.b64decode(text)


config = {
    "bootstrap.servers": spec["bootstrap"],
    "broker.address.family": "v4",
    "compression.type": spec["codec"],
    # every message is queued before the first batch leaves, so batches fill up to the cap
    "linger.ms": 500,
    "batch.num.messages": spec["batchRecordsMax"],
    "enable.idempotence": bool(spec["idempotent"]),
    "acks": "all",
}
producer = Producer(config)
reports = [None] * len(spec["messages"])
errors = []


def on_delivery(error, message, index):
    if error is not None:
        errors.append(f"message {index}: {error}")
        return
    timestamp_type, timestamp = message.timestamp()
    reports[index] = {"offset": message.offset(), "timestampType": timestamp_type, "timestamp": timestamp}


for index, message in enumerate(spec["messages"]):
    headers = message["headers"]
    producer.produce(
        spec["topic"],
        partition=0,
        key=raw(message["key"]),
        value=raw(message["value"]),
        headers=None if headers is None else [(name, raw(value)) for name, value in headers],
        on_delivery=lambda error, delivered, index=index: on_delivery(error, delivered, index),
    )
remaining = producer.flush(30)
if remaining:
    errors.append(f"{remaining} messages not delivered within 30 s")
if errors or any(report is None for report in reports):
    print(json.dumps({"errors": errors or ["a delivery report is missing"]}))
    sys.exit(1)
print(json.dumps({"delivered": reports}))
