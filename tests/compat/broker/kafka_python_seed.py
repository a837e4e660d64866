"""kafka-python 2.0.2 (Debian python3-kafka) against a kafkaesque broker: the seed's flow.

Admin: create 'bankbranch' (2 partitions, replication 1), describe its configs, list topics;
producer with a JSON value_serializer sends two ATM transactions and flushes; a consumer without
a group reads them back from the earliest offset; admin deletes the topic. Prints one JSON line
with what it saw; exits non-zero on any failure.
"""
import json
import os
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

bootstrap = os.environ["KAFKAESQUE_BOOTSTRAP"]
topic = os.environ.get("TOPIC", "bankbranch")
report = {}

admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="seed-admin")
admin.create_topics([NewTopic(name=topic, num_partitions=2, replication_factor=1)])
configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
described = {}
for response in configs:
    for resource in response.resources:
        error_code, error_message, resource_type, resource_name, entries = resource[:5]
        if error_code != 0:
            raise SystemExit(f"describe_configs error {error_code}: {error_message}")
        for entry in entries:
            described[entry[0]] = entry[1]
report["configs"] = described
report["topics"] = sorted(admin.list_topics())

producer = KafkaProducer(bootstrap_servers=bootstrap, value_serializer=lambda v: json.dumps(v).encode("utf-8"))
producer.send(topic, {"atmid": 1, "transid": 100})
producer.send(topic, {"atmid": 2, "transid": 101})
producer.flush()
producer.close()

consumer = KafkaConsumer(topic, group_id=None, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                         consumer_timeout_ms=10000)
received = []
deadline = time.time() + 30
for message in consumer:
    received.append(json.loads(message.value.decode("utf-8")))
    if len(received) == 2 or time.time() > deadline:
        break
consumer.close()
report["received"] = sorted(received, key=lambda m: m["atmid"])

admin.delete_topics([topic])
deadline = time.time() + 10
while topic in admin.list_topics() and time.time() < deadline:
    time.sleep(0.1)
report["topics_after_delete"] = sorted(admin.list_topics())
admin.close()
print(json.dumps(report))
