"""Three librdkafka consumers (confluent-kafka) in one group over a 6-partition topic: their
assignments are disjoint and cover every partition; when one leaves, the other two own every
partition again within the session timeout; no message is lost and a message is read twice only
if its offset was not committed. Run with the assignment strategy as argv[3] (range or
cooperative-sticky), or "consumer" for the KIP-848 protocol (group.protocol=consumer, the
broker assigns; librdkafka >= 2.4). Prints one JSON line."""
import json
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, prefix, strategy = sys.argv[1], sys.argv[2], sys.argv[3]
topic = f'{prefix}-events'
group = f'{prefix}-group'
partitions = 6
session_timeout_ms = 10000
per_phase = 300

admin = AdminClient({'bootstrap.servers': bootstrap})
for future in admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)]).values():
    future.result(30)

producer = Producer({'bootstrap.servers': bootstrap})


def produce(start, count):
    for index in range(start, start + count):
        producer.produce(topic, key=str(index).encode(), value=str(index).encode(), partition=index % partitions)
    producer.flush(30)


lock = threading.Lock()
seen = {}            # (partition, offset) -> times read
committed_up_to = {}  # partition -> next offset committed
violations = []
assignments = {}
stop_flags = {}


def consume(name):
    config = {
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
    }
    if strategy == 'consumer':
        # KIP-848: timeouts and assignment live on the broker.
        config['group.protocol'] = 'consumer'
    else:
        config.update({'session.timeout.ms': session_timeout_ms, 'heartbeat.interval.ms': 500, 'partition.assignment.strategy': strategy})
    consumer = Consumer(config)
    consumer.subscribe([topic])
    try:
        while not stop_flags[name].is_set():
            message = consumer.poll(0.2)
            with lock:
                assignments[name] = sorted(tp.partition for tp in consumer.assignment())
            if message is None or message.error():
                continue
            key = (message.partition(), message.offset())
            with lock:
                if key in seen and message.offset() < committed_up_to.get(message.partition(), 0):
                    violations.append(list(key))
                seen[key] = seen.get(key, 0) + 1
            try:
                consumer.commit(message=message, asynchronous=False)
                with lock:
                    committed_up_to[message.partition()] = max(committed_up_to.get(message.partition(), 0), message.offset() + 1)
            except KafkaException:
                pass  # a rebalance in progress: the offset stays uncommitted and may be read again
    finally:
        consumer.close()  # leaves the group
        with lock:
            assignments.pop(name, None)


def wait_until(condition, timeout_s):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        with lock:
            if condition():
                return True
        time.sleep(0.1)
    return False


produce(0, per_phase)
names = ['c1', 'c2', 'c3']
threads = {}
for name in names:
    stop_flags[name] = threading.Event()
    threads[name] = threading.Thread(target=consume, args=(name,), daemon=True)
    threads[name].start()


def covered(members):
    parts = [p for m in members for p in assignments.get(m, [])]
    return sorted(parts) == list(range(partitions)) and all(assignments.get(m) for m in members)


three_covered = wait_until(lambda: covered(names), 60)
with lock:
    three = {name: list(assignments.get(name, [])) for name in names}
wait_until(lambda: len(seen) >= per_phase, 60)

stop_flags['c3'].set()
threads['c3'].join(30)
left_at = time.time()
two_covered = wait_until(lambda: covered(['c1', 'c2']), session_timeout_ms / 1000)
rebalanced_after_s = time.time() - left_at
with lock:
    two = {name: list(assignments.get(name, [])) for name in ['c1', 'c2']}

produce(per_phase, per_phase)
all_read = wait_until(lambda: len(seen) >= 2 * per_phase, 60)
for name in ['c1', 'c2']:
    stop_flags[name].set()
for name in ['c1', 'c2']:
    threads[name].join(30)

with lock:
    print(json.dumps({
        'three_covered': three_covered,
        'three': three,
        'two_covered': two_covered,
        'two': two,
        'rebalanced_after_s': rebalanced_after_s,
        'all_read': all_read,
        'unique_read': len(seen),
        'produced': 2 * per_phase,
        'read_twice': sum(1 for count in seen.values() if count > 1),
        'violations': violations,
    }))
