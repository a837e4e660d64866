"""confluent-kafka through a 3-broker cluster: produce 60 keyed messages with acks=all to a
6-partition RF 3 topic, then read them all back from the beginning. Prints
{"delivered": n, "partitions": [...], "consumed": [values...]}."""
import json
import sys
import time

from confluent_kafka import Consumer, Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
delivered = []
producer = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'enable.idempotence': True, 'linger.ms': 5})
for i in range(60):
    producer.produce(topic, key=f"k{i}", value=f"v{i}", partition=i % 6,
                     on_delivery=lambda err, msg: delivered.append(msg.partition()) if err is None else print(err, file=sys.stderr))
producer.flush(60)

consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'confluent-spread', 'auto.offset.reset': 'earliest', 'enable.auto.commit': True})
consumer.subscribe([topic])
consumed = []
deadline = time.time() + 60
while len(consumed) < 60 and time.time() < deadline:
    message = consumer.poll(0.5)
    if message is None or message.error():
        continue
    consumed.append(message.value().decode())
consumer.close()
print(json.dumps({"delivered": len(delivered), "partitions": sorted(set(delivered)), "consumed": consumed}))
