"""The seed flow with a consumer group, kafka-python 2.0.2: produce two messages to
'bankbranch', read both in a group and commit, then the admin client lists the group, describes
it and lists its committed offsets. Prints one JSON line with what it observed."""
import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

bootstrap, group = sys.argv[1], sys.argv[2]
topic = 'bankbranch'

admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000)
admin.create_topics([NewTopic(name=topic, num_partitions=1, replication_factor=1)])

producer = KafkaProducer(bootstrap_servers=bootstrap)
for value in (b'{"atmid": 1, "transid": 100}', b'{"atmid": 2, "transid": 101}'):
    producer.send(topic, value).get(timeout=20)
producer.flush()
producer.close()

consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset='earliest',
                         enable_auto_commit=False, consumer_timeout_ms=20000)
values = []
for message in consumer:
    values.append(message.value.decode())
    if len(values) == 2:
        break
consumer.commit()
committed = consumer.committed(TopicPartition(topic, 0))

# While the consumer is still a member, describe shows it (Stable) with its assignment.
described_live = admin.describe_consumer_groups([group])[0]
live = {
    'state': described_live.state,
    'protocol_type': described_live.protocol_type,
    'protocol': described_live.protocol,
    'members': len(described_live.members),
    'assignment': [[tp.topic, tp.partition] for m in described_live.members for tp in
                   getattr(m.member_assignment, 'partitions', lambda: [])()] if described_live.members else [],
}
consumer.close()

listed = admin.list_consumer_groups()
offsets = admin.list_consumer_group_offsets(group)
described = admin.describe_consumer_groups([group])[0]
admin.close()

print(json.dumps({
    'values': values,
    'committed': committed,
    'listed': [[g[0], g[1]] for g in listed],
    'offsets': {f'{tp.topic}-{tp.partition}': meta.offset for tp, meta in offsets.items()},
    'live': live,
    'after_close_state': described.state,
}))
