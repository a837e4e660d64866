"""confluent-kafka (librdkafka) run, Debian's or PyPI's. Usage: confluent_suite.py BOOTSTRAP PREFIX
Admin, produce per codec and idempotently, consume in a group with a commit, a two-member
rebalance; the last stdout line is the JSON report."""
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from report import CODECS, Report, payload, verify_consumed

STEP_TIMEOUT_S = 60
bootstrap, prefix = sys.argv[1], sys.argv[2]
report = Report("confluent-kafka", f"{getattr(confluent_kafka, '__version__', confluent_kafka.version()[0])} (librdkafka {confluent_kafka.libversion()[0]})")
common = {"bootstrap.servers": bootstrap, "broker.address.family": "v4"}


def wait_for(condition, what, timeout_s=STEP_TIMEOUT_S):
    deadline = time.time() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


def result(futures):
    for future in futures.values():
        future.result(timeout=STEP_TIMEOUT_S)


def create(admin, topic, partitions, config=None):
    result(admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})],
                               operation_timeout=STEP_TIMEOUT_S))


def config_value(admin, topic, key):
    for future in admin.describe_configs([ConfigResource("topic", topic)]).values():
        entry = future.result(timeout=STEP_TIMEOUT_S).get(key)
        return None if entry is None else entry.value
    return None


def partitions(admin, topic):
    metadata = admin.list_topics(topic, timeout=10).topics.get(topic)
    return 0 if metadata is None or metadata.error is not None else len(metadata.partitions)


def run_admin(admin):
    topic = f"{prefix}-admin"
    if not report.attempt("admin.createTopics", lambda: create(admin, topic, 3, {"retention.ms": "123456789"})):
        return

    def describe():
        count = wait_for(lambda: partitions(admin, topic), "topic not described")
        assert count == 3, f"{count} partitions"
    report.attempt("admin.describeTopics", describe)

    def describe_configs():
        value = config_value(admin, topic, "retention.ms")
        assert value == "123456789", f"retention.ms={value!r}"
    report.attempt("admin.describeConfigs", describe_configs)

    def alter_configs():
        result(admin.alter_configs([ConfigResource("topic", topic, set_config={"retention.ms": "987654321"})]))
        wait_for(lambda: config_value(admin, topic, "retention.ms") == "987654321", "config not changed", 10)
    report.attempt("admin.alterConfigs", alter_configs)

    def delete():
        result(admin.delete_topics([topic], operation_timeout=STEP_TIMEOUT_S))
        wait_for(lambda: topic not in admin.list_topics(timeout=10).topics, "topic still listed")
    report.attempt("admin.deleteTopics", delete)


def produce(topic, label, **config):
    producer = Producer({**common, "acks": "all", "linger.ms": 5, **config})
    errors = []
    values = [payload(label, i) for i in range(5)]
    for i, value in enumerate(values):
        producer.produce(topic, key=str(i), value=value, on_delivery=lambda err, msg: err and errors.append(str(err)))
    remaining = producer.flush(STEP_TIMEOUT_S)
    if errors or remaining:
        raise RuntimeError(f"delivery failed: {errors} ({remaining} undelivered)")
    return values


def consume_group(topic, group, expected):
    consumer = Consumer({**common, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen, count = set(), 0
    try:
        deadline = time.time() + STEP_TIMEOUT_S
        while len(seen) < len(expected) and time.time() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                print(f"consumer error {message.error()}", file=sys.stderr)
                continue
            seen.add(message.value().decode())
            count += 1
        missing = verify_consumed(report, expected, seen)
        report.check("consume.group", f"missing records: {missing}" if missing else None, {"records": count})

        def commit():
            consumer.commit(asynchronous=False)
            committed = consumer.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
            assert committed == count, f"committed {committed}, want {count}"
        report.attempt("commit", commit)
    finally:
        consumer.close()


def rebalance(admin):
    topic, group = f"{prefix}-rebalance", f"{prefix}-g2"
    create(admin, topic, 2)
    members = {}
    try:
        def member(name):
            consumer = Consumer({**common, "group.id": group, "enable.auto.commit": False,
                                 "partition.assignment.strategy": "range"})
            consumer.subscribe([topic])
            members[name] = consumer

        def owned(name):
            return sorted(tp.partition for tp in members[name].assignment())

        def poll_all():
            for consumer in members.values():
                consumer.poll(0.1)
        member("a")
        wait_for(lambda: poll_all() or len(owned("a")) == 2, "first member never owned both partitions")
        member("b")
        wait_for(lambda: poll_all() or (len(owned("a")) == 1 and len(owned("b")) == 1),
                 "partitions not split between the two members", 2 * STEP_TIMEOUT_S)
        return {"a": owned("a"), "b": owned("b")}
    finally:
        for consumer in members.values():
            consumer.close()


def main():
    admin = AdminClient(common)
    run_admin(admin)
    topic = f"{prefix}-codecs"
    create(admin, topic, 1)
    wait_for(lambda: partitions(admin, topic), "codecs topic missing")
    expected = {}
    for codec in CODECS:
        def send(codec=codec):
            for value in produce(topic, codec, **{"compression.type": codec, "enable.idempotence": False}):
                expected[value] = f"produce.{codec}"
        report.attempt(f"produce.{codec}", send)

    def send_idempotent():
        for value in produce(topic, "idempotent", **{"enable.idempotence": True}):
            expected[value] = "produce.idempotent"
    report.attempt("produce.idempotent", send_idempotent)
    consume_group(topic, f"{prefix}-g1", expected)
    report.attempt("rebalance", lambda: rebalance(admin))


try:
    main()
except Exception as error:
    import traceback
    traceback.print_exc()
    report.check("run", error)
report.print()
