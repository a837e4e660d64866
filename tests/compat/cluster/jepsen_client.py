"""Jepsen-style client for the cluster leader-kill test (confluent-kafka / librdkafka).

produce <bootstrap> <topic> <stop-file>: an idempotent producer (acks=all) sends "0", "1", …
keyed by the same number until <stop-file> exists, then flushes and prints one JSON line:
{"acked": [[partition, offset, value], ...], "failed": n}.

consume <bootstrap> <topic>: reads every partition from the beginning up to its high
watermark and prints {"partitions": {"0": [[offset, value], ...], ...}}.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING

IN_FLIGHT_MAX = 2000


def produce(bootstrap, topic, stop_file):
    acked = []
    failed = [0]

    def on_delivery(error, message):
        if error is not None:
            failed[0] += 1
            print(f"delivery failed: {error}", file=sys.stderr)
        else:
            acked.append([message.partition(), message.offset(), message.value().decode()])

    producer = Producer({
        'bootstrap.servers': bootstrap,
        'enable.idempotence': True,
        'acks': 'all',
        'linger.ms': 5,
        'message.timeout.ms': 300000,
        'retry.backoff.ms': 100,
        'topic.metadata.refresh.interval.ms': 1000,
    })
    sequence = 0
    while not os.path.exists(stop_file):
        while len(producer) >= IN_FLIGHT_MAX:
            producer.poll(0.05)
        value = str(sequence)
        producer.produce(topic, key=value, value=value, on_delivery=on_delivery)
        sequence += 1
        producer.poll(0)
        time.sleep(0.002)
    remaining = producer.flush(300)
    print(json.dumps({"acked": acked, "failed": failed[0], "sent": sequence, "unflushed": remaining}))


def consume(bootstrap, topic):
    consumer = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': 'jepsen-verify',
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
    })
    metadata = consumer.list_topics(topic, timeout=30)
    partitions = sorted(metadata.topics[topic].partitions.keys())
    ends = {}
    for partition in partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
        ends[partition] = high
    consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING) for partition in partitions])
    seen = {partition: [] for partition in partitions}
    done = {partition for partition in partitions if ends[partition] == 0}
    deadline = time.time() + 120
    while len(done) < len(partitions) and time.time() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            print(f"consume error: {message.error()}", file=sys.stderr)
            continue
        partition = message.partition()
        if message.offset() < ends[partition]:
            seen[partition].append([message.offset(), message.value().decode()])
        if message.offset() + 1 >= ends[partition]:
            done.add(partition)
    consumer.close()
    print(json.dumps({"partitions": {str(p): seen[p] for p in partitions}, "ends": {str(p): ends[p] for p in partitions}}))


if __name__ == '__main__':
    if sys.argv[1] == 'produce':
        produce(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        consume(sys.argv[2], sys.argv[3])
