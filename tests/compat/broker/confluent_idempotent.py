"""confluent-kafka (librdkafka) against a kafkaesque broker: an idempotent producer with
acks=all in every codec, then a consumer with a manual assignment reads everything back.
Prints one JSON line; exits non-zero on any failure."""
import json
import os
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = os.environ["KAFKAESQUE_BOOTSTRAP"]
topic = os.environ.get("TOPIC", "confluent-idempotent")
codecs = ["none", "gzip", "snappy", "lz4", "zstd"]
per_codec = 50

admin = AdminClient({"bootstrap.servers": bootstrap})
for future in admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)]).values():
    future.result(timeout=30)

errors = []
delivered = {}
for codec in codecs:
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": codec,
        "linger.ms": 5,
    })

    def on_delivery(error, message, codec=codec):
        if error is not None:
            errors.append(f"{codec}: {error}")
        else:
            delivered[codec] = delivered.get(codec, 0) + 1

    for i in range(per_codec):
        producer.produce(topic, key=f"{codec}-{i}".encode(), value=json.dumps({"codec": codec, "i": i}).encode(), on_delivery=on_delivery)
    remaining = producer.flush(30)
    if remaining:
        errors.append(f"{codec}: {remaining} messages not delivered")

if errors:
    print(json.dumps({"errors": errors}))
    sys.exit(1)

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-assign-only", "enable.auto.commit": False,
                     "enable.partition.eof": True})
consumer.assign([TopicPartition(topic, p, 0) for p in range(3)])
seen = set()
eof = set()
while len(eof) < 3:
    message = consumer.poll(10)
    if message is None:
        break
    if message.error():
        if message.error().code() == -191:  # _PARTITION_EOF
            eof.add(message.partition())
            continue
        raise KafkaException(message.error())
    eof.discard(message.partition())
    seen.add(message.key().decode())
consumer.close()
print(json.dumps({"delivered": delivered, "received": len(seen), "expected": per_codec * len(codecs)}))
if len(seen) != per_codec * len(codecs):
    sys.exit(1)
