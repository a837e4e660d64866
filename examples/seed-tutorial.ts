/**
 * The seed tutorial (kafka-python) in TypeScript with the kafkaesque client:
 * create topic `bankbranch` (2 partitions, RF 1), describe its configs, produce two JSON ATM
 * transactions, consume them from the earliest offset.
 *
 *   pnpm kafkaesque up                                  # in one terminal
 *   pnpm exec node examples/seed-tutorial.ts            # in another (BOOTSTRAP=host:port to override)
 */
// In your own project: import { … } from '@kafkaesque/client'
import { Admin, Consumer, Producer, KafkaResponseError, deserializers, serializers } from '../packages/client/src/index.ts';

interface AtmTransaction {
  atmid: number;
  transid: number;
}

const bootstrapServers = process.env.BOOTSTRAP ?? 'localhost:9092';

// KafkaAdminClient(bootstrap_servers="localhost:9092", client_id='test')
const admin = new Admin({ bootstrapServers, clientId: 'test' });
try {
  await admin.createTopics([{ name: 'bankbranch', numPartitions: 2, replicationFactor: 1 }]);
  console.log('created topic bankbranch');
} catch (error) {
  // running the tutorial twice is fine
  if (!(error instanceof KafkaResponseError && error.errorName === 'TOPIC_ALREADY_EXISTS')) throw error;
  console.log('topic bankbranch exists already');
}
const [description] = await admin.describeConfigs([{ type: 'topic', name: 'bankbranch' }]);
for (const config of description.configs) console.log(`  ${config.name} = ${config.value}`);
await admin.close();

// KafkaProducer(value_serializer=lambda v: json.dumps(v).encode('utf-8'))
const producer = new Producer<never, AtmTransaction>({ bootstrapServers, serializers: { value: serializers.json } });
await producer.send({ topic: 'bankbranch', value: { atmid: 1, transid: 100 } });
await producer.send({ topic: 'bankbranch', value: { atmid: 2, transid: 101 } });
await producer.flush();
await producer.close();
console.log('produced 2 transactions');

// KafkaConsumer('bankbranch', group_id=None, auto_offset_reset='earliest')
const consumer = new Consumer<Buffer | null, AtmTransaction>({
  bootstrapServers,
  autoOffsetReset: 'earliest',
  deserializers: { value: deserializers.json as (bytes: Buffer | null) => AtmTransaction },
});
const partitions = (await consumer.cluster.topicMetadata('bankbranch')).partitions.map((partition) => ({ topic: 'bankbranch', partition: partition.partition }));
await consumer.assign(partitions);
let received = 0;
for await (const record of consumer) {
  console.log(`partition ${record.partition} offset ${record.offset}: ${JSON.stringify(record.value)}`);
  if (++received === 2) break;
}
await consumer.close();
