"""kafka-python run (Debian's 2.0.2 or PyPI's latest). Usage: kafka_python_suite.py BOOTSTRAP PREFIX
Admin, produce per codec (and idempotent where the version has it), consume in a group with a
commit, a two-member rebalance; the last stdout line is the JSON report."""
import sys
import threading
import time

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from report import CODECS, Report, payload, verify_consumed

STEP_TIMEOUT_S = 60
bootstrap, prefix = sys.argv[1], sys.argv[2]
report = Report("kafka-python", kafka.__version__)


def wait_for(condition, what, timeout_s=STEP_TIMEOUT_S):
    deadline = time.time() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


def config_value(admin, topic, key):
    responses = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    if isinstance(responses, dict):
        # kafka-python 3.x: {resource_type: {resource_name: {config_key: {config data}}}}
        for by_name in responses.values():
            entry = by_name.get(topic, {}).get(key)
            if entry is not None:
                return entry.get("value") if isinstance(entry, dict) else entry
        return None
    # kafka-python 2.0.2: a list of DescribeConfigsResponse structs
    for response in responses:
        for resource in response.resources:
            error_code, entries = resource[0], resource[4]
            if error_code != 0:
                raise RuntimeError(f"DescribeConfigs error {error_code}")
            for entry in entries:
                if entry[0] == key:
                    return entry[1]
    return None


def partition_count(admin, topic):
    described = admin.describe_topics([topic])
    return len(described[0]["partitions"])


def run_admin(admin):
    topic = f"{prefix}-admin"
    if not report.attempt("admin.createTopics", lambda: admin.create_topics(
            [NewTopic(topic, num_partitions=3, replication_factor=1, topic_configs={"retention.ms": "123456789"})]) and None):
        return

    def describe():
        count = wait_for(lambda: partition_count(admin, topic), "topic not described")
        assert count == 3, f"{count} partitions"
    report.attempt("admin.describeTopics", describe)

    def describe_configs():
        value = config_value(admin, topic, "retention.ms")
        assert value == "123456789", f"retention.ms={value!r}"
    report.attempt("admin.describeConfigs", describe_configs)

    def alter_configs():
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "987654321"})])
        wait_for(lambda: config_value(admin, topic, "retention.ms") == "987654321", "config not changed", 10)
    report.attempt("admin.alterConfigs", alter_configs)

    def delete():
        admin.delete_topics([topic])
        wait_for(lambda: topic not in admin.list_topics(), "topic still listed")
    report.attempt("admin.deleteTopics", delete)


def produce(topic, label, **options):
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", **options)
    try:
        values = [payload(label, i) for i in range(5)]
        futures = [producer.send(topic, key=str(i).encode(), value=v.encode()) for i, v in enumerate(values)]
        for future in futures:
            future.get(timeout=STEP_TIMEOUT_S)
        return values
    finally:
        producer.close()


def consume_group(topic, group, expected):
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                             enable_auto_commit=False)
    seen, count = set(), 0
    try:
        deadline = time.time() + STEP_TIMEOUT_S
        while len(seen) < len(expected) and time.time() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    seen.add(record.value.decode())
                    count += 1
        missing = verify_consumed(report, expected, seen)
        report.check("consume.group", f"missing records: {missing}" if missing else None, {"records": count})

        def commit():
            consumer.commit()
            committed = consumer.committed(TopicPartition(topic, 0))
            assert committed == count, f"committed {committed}, want {count}"
        report.attempt("commit", commit)
    finally:
        consumer.close()


def rebalance(admin):
    """Each member polls in its own thread: kafka-python's poll blocks inside JoinGroup until every
    member has rejoined, so one thread alternating two consumers would deadlock the rebalance."""
    topic, group = f"{prefix}-rebalance", f"{prefix}-g2"
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    owned, stop, threads = {}, threading.Event(), []

    def member(name):
        consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        try:
            while not stop.is_set():
                consumer.poll(timeout_ms=100)
                owned[name] = sorted(tp.partition for tp in consumer.assignment())
        finally:
            consumer.close()

    def start(name):
        thread = threading.Thread(target=member, args=(name,), daemon=True)
        thread.start()
        threads.append(thread)
    try:
        start("a")
        wait_for(lambda: len(owned.get("a", [])) == 2, "first member never owned both partitions")
        start("b")
        wait_for(lambda: len(owned.get("a", [])) == 1 and len(owned.get("b", [])) == 1,
                 f"partitions not split between the two members: {owned}", 2 * STEP_TIMEOUT_S)
        return dict(owned)
    finally:
        stop.set()
        for thread in threads:
            thread.join(STEP_TIMEOUT_S)


def main():
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        run_admin(admin)
        topic = f"{prefix}-codecs"
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        wait_for(lambda: partition_count(admin, topic), "codecs topic missing")
        expected = {}
        for codec in CODECS:
            def send(codec=codec):
                for value in produce(topic, codec, compression_type=None if codec == "none" else codec):
                    expected[value] = f"produce.{codec}"
            report.attempt(f"produce.{codec}", send)
        try:
            KafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True).close()
            has_idempotence = True
        except (TypeError, AssertionError, kafka.errors.KafkaConfigurationError) as error:
            report.unsupported("produce.idempotent", f"no idempotent producer in this version ({error})")
            has_idempotence = False
        if has_idempotence:
            def send_idempotent():
                for value in produce(topic, "idempotent", enable_idempotence=True):
                    expected[value] = "produce.idempotent"
            report.attempt("produce.idempotent", send_idempotent)
        consume_group(topic, f"{prefix}-g1", expected)
        report.attempt("rebalance", lambda: rebalance(admin))
    finally:
        admin.close()


try:
    main()
except Exception as error:
    import traceback
    traceback.print_exc()
    report.check("run", error)
report.print()
