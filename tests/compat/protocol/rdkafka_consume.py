"""librdkafka (Debian python3-confluent-kafka) reads back what our encoder wrote.

Reads one JSON object from stdin: {bootstrap, topic}. Assigns partition 0 from offset 0 with CRC
checking on and reads to the end of the partition. Prints one JSON line {messages: [{offset,
key, value, headers, timestampType, timestamp}]} with bytes as base64 (null stays null); exits
non-zero on a consumer error."""
import base64
import ctypes
import json
import sys

from confluent_kafka import Consumer, KafkaException, TopicPartition

spec = json.load(sys.stdin)
PARTITION_EOF = -191


# confluent-kafka 1.7.0 (Debian's) hands out header tuples holding None without taking a
# reference to it (confluent-kafka-python issue #1191, fixed in 1.8.2), so every null header
# value read costs None one reference for good and enough of them abort the interpreter
# ("deallocating None"). Each stolen reference is given back, for good too.
def give_back_none_reference():
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))


def text(data):
    return None if data is None else base64.b64encode(data).decode()


consumer = Consumer({
    "bootstrap.servers": spec["bootstrap"],
    "broker.address.family": "v4",
    "group.id": "record-batch-crosscheck",
    "enable.auto.commit": False,
    "enable.partition.eof": True,
    "check.crcs": True,
})
consumer.assign([TopicPartition(spec["topic"], 0, 0)])
messages = []
try:
    while True:
        message = consumer.poll(20)
        if message is None:
            print(json.dumps({"errors": ["no message and no end of partition within 20 s"], "messages": messages}))
            sys.exit(1)
        if message.error():
            if message.error().code() == PARTITION_EOF:
                break
            raise KafkaException(message.error())
        headers = message.headers()
        if headers is not None:
            for _, value in headers:
                if value is None:
                    give_back_none_reference()
        timestamp_type, timestamp = message.timestamp()
        messages.append({
            "offset": message.offset(),
            "key": text(message.key()),
            "value": text(message.value()),
            "headers": None if headers is None else [[name, text(value)] for name, value in headers],
            "timestampType": timestamp_type,
            "timestamp": timestamp,
        })
finally:
    consumer.close()
print(json.dumps({"messages": messages}))
