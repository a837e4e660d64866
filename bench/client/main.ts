/**
 * Client throughput: kafkaesque's client vs kafkajs 2.2.4 vs @platformatic/kafka, against the same
 * broker (a kafkaesque broker in its own process, or BOOTSTRAP=host:port for any other), in one run.
 *
 *   pnpm exec node bench/client/main.ts            # SCALE=0.2 for a quick run
 *
 * Rows: produce with awaited single sends, produce in batches (each client's batch call with 1000
 * records: our sendBatch, kafkajs send({ messages }), platformatic send({ messages })), consume
 * (from the earliest offset, consumer creation to last record), each with 100 B and 1 KB values,
 * one partition per topic.
 *
 * Like with like: every producer is idempotent with acks=all (our default and Java's; kafkajs and
 * platformatic are told so explicitly, their defaults being non-idempotent), no compression.
 * Neither kafkajs nor platformatic verifies the CRC32C of the batches it fetches, so the consume
 * rows run ours with checkCrcs: false too; the "CRC-checked" rows run ours with its default
 * (checkCrcs: true, as Java's check.crcs) against the same peer numbers.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { Admin, Consumer, Producer } from '../../packages/client/src/index.ts';

const testsRequire = createRequire(new URL('../../tests/package.json', import.meta.url));
const kafkajs = testsRequire('kafkajs');
const platformatic = await import(testsRequire.resolve('@platformatic/kafka'));

const SCALE = Number(process.env.SCALE ?? 1);
const SINGLE_COUNT = Math.round(3000 * SCALE);
const BATCH_COUNT = Math.round(100_000 * SCALE);
const CHUNK = 1000;
/** Awaited single sends timed together (the unit the clients take turns by). */
const SINGLE_BLOCK = 100;
const ROUNDS = Number(process.env.ROUNDS ?? 3);

type ClientName = 'kafkaesque' | 'kafkajs' | 'platformatic';
const clients: ClientName[] = ['kafkaesque', 'kafkajs', 'platformatic'];

async function startBroker(): Promise<{ bootstrap: string; stop(): Promise<void> }> {
  if (process.env.BOOTSTRAP) return { bootstrap: process.env.BOOTSTRAP, stop: async () => {} };
  const child = spawn(process.execPath, [new URL('./broker.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  for await (const chunk of child.stdout) {
    output += chunk;
    const match = /ready (\S+)/.exec(output);
    if (match) {
      return {
        bootstrap: match[1],
        stop: async () => {
          child.kill('SIGTERM');
          await once(child, 'exit');
        },
      };
    }
  }
  throw new Error('broker did not start');
}

let topicCounter = 0;
async function newTopic(admin: Admin, label: string): Promise<string> {
  const name = `bench-${label}-${process.pid}-${topicCounter++}`;
  await admin.createTopics([{ name, numPartitions: 1, replicationFactor: 1 }]);
  return name;
}

interface ProducerDriver {
  single(topic: string, value: Buffer): Promise<void>;
  batch(topic: string, values: Buffer[]): Promise<void>;
  close(): Promise<void>;
}

async function producerFor(client: ClientName, bootstrap: string): Promise<ProducerDriver> {
  if (client === 'kafkaesque') {
    const producer = new Producer({ bootstrapServers: bootstrap });
    await producer.connect();
    return {
      single: async (topic, value) => void (await producer.send({ topic, value })),
      batch: async (topic, values) => void (await producer.sendBatch(values.map((value) => ({ topic, value })))),
      close: () => producer.close(),
    };
  }
  if (client === 'kafkajs') {
    const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers: bootstrap.split(','), logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    return {
      single: async (topic, value) => void (await producer.send({ topic, messages: [{ value }] })),
      batch: async (topic, values) => void (await producer.send({ topic, messages: values.map((value) => ({ value })) })),
      close: () => producer.disconnect(),
    };
  }
  const producer = new platformatic.Producer({ clientId: 'bench', bootstrapBrokers: bootstrap.split(','), acks: -1, idempotent: true });
  return {
    single: async (topic, value) => void (await producer.send({ messages: [{ topic, value }] })),
    batch: async (topic, values) => void (await producer.send({ messages: values.map((value) => ({ topic, value })) })),
    close: () => producer.close(),
  };
}

/**
 * Reads `count` records from the start of `topic`; returns records/s from creating the consumer to
 * the last record (group join and the first fetch included: a client that fetches everything in
 * one response would look infinitely fast if timed from its first record).
 */
async function consume(client: ClientName, bootstrap: string, topic: string, count: number, checkCrcs = false): Promise<number> {
  const first = performance.now();
  let received = 0;
  const groupId = `bench-group-${client}-${topicCounter++}`;
  if (client === 'kafkaesque') {
    const consumer = new Consumer({ bootstrapServers: bootstrap, groupId, autoOffsetReset: 'earliest', checkCrcs });
    await consumer.subscribe([topic]);
    for await (const batch of consumer.batches()) {
      received += batch.length;
      if (received >= count) break;
    }
    const elapsed = performance.now() - first;
    await consumer.close();
    return (count / elapsed) * 1000;
  }
  if (client === 'kafkajs') {
    const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers: bootstrap.split(','), logLevel: kafkajs.logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachBatch: async ({ batch }: { batch: { messages: unknown[] } }) => {
        received += batch.messages.length;
        if (received >= count) done();
      },
    });
    await finished;
    const elapsed = performance.now() - first;
    await consumer.disconnect();
    return (count / elapsed) * 1000;
  }
  const consumer = new platformatic.Consumer({ clientId: 'bench', groupId, bootstrapBrokers: bootstrap.split(',') });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  for await (const _message of stream) {
    if (++received >= count) break;
  }
  const elapsed = performance.now() - first;
  await stream.close();
  await consumer.close(true);
  return (count / elapsed) * 1000;
}

interface Row {
  scenario: string;
  rates: Record<ClientName, number>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The clients in an order that starts one further each time (no client always goes first). */
function rotated(turn: number): ClientName[] {
  return clients.map((_, index) => clients[(index + turn) % clients.length]);
}

interface ProduceTimes {
  /** Milliseconds per block of SINGLE_BLOCK awaited sends. */
  singleBlockMs: Record<ClientName, number[]>;
  /** Milliseconds per batch call of CHUNK records. */
  batchMs: Record<ClientName, number[]>;
  /** Per client, a topic holding BATCH_COUNT + 10 records of this size, to consume. */
  batchTopics: Record<ClientName, string>;
}

/**
 * Produce measurements for one size, the three clients interleaved block by block (a block: 100
 * awaited single sends, or one batch call of 1000 records), so a busy moment of the shared
 * machine falls on every client alike; each rate is taken from the median block.
 */
async function measureProduce(bootstrap: string, admin: Admin, size: number, times: ProduceTimes): Promise<void> {
  const value = Buffer.alloc(size, 'x');
  const drivers = {} as Record<ClientName, ProducerDriver>;
  const singleTopics = {} as Record<ClientName, string>;
  for (const client of clients) {
    drivers[client] = await producerFor(client, bootstrap);
    singleTopics[client] = await newTopic(admin, 'single');
    times.batchTopics[client] = await newTopic(admin, 'batch');
    // warm-up: connections, metadata, producer ids
    await drivers[client].single(singleTopics[client], value);
    await drivers[client].batch(times.batchTopics[client], Array.from({ length: 10 }, () => value));
  }
  for (let block = 0; block < SINGLE_COUNT / SINGLE_BLOCK; block++) {
    for (const client of rotated(block)) {
      const start = performance.now();
      for (let i = 0; i < SINGLE_BLOCK; i++) await drivers[client].single(singleTopics[client], value);
      times.singleBlockMs[client].push(performance.now() - start);
    }
  }
  const chunk = Array.from({ length: CHUNK }, () => value);
  for (let sent = 0, turn = 0; sent < BATCH_COUNT; sent += CHUNK, turn++) {
    for (const client of rotated(turn)) {
      const start = performance.now();
      await drivers[client].batch(times.batchTopics[client], chunk);
      times.batchMs[client].push(performance.now() - start);
    }
  }
  for (const client of clients) await drivers[client].close();
}

async function main(): Promise<void> {
  const broker = await startBroker();
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  const rows: Row[] = [];
  try {
    // warm-up: the broker's first group creates __consumer_offsets, which no client should pay for
    const warmupTopic = await newTopic(admin, 'warmup');
    const warmup = await producerFor('kafkaesque', broker.bootstrap);
    await warmup.batch(warmupTopic, [Buffer.from('warm-up')]);
    await warmup.close();
    await consume('kafkaesque', broker.bootstrap, warmupTopic, 1);
    for (const size of [100, 1024]) {
      const label = size === 100 ? '100 B' : '1 KB';
      const perClient = () => Object.fromEntries(clients.map((client) => [client, [] as number[]])) as Record<ClientName, number[]>;
      const times: ProduceTimes = { singleBlockMs: perClient(), batchMs: perClient(), batchTopics: {} as Record<ClientName, string> };
      const consumed = {} as Record<ClientName, number>;
      const consumedChecked = {} as Record<ClientName, number>;
      for (let round = 0; round < ROUNDS; round++) {
        await measureProduce(broker.bootstrap, admin, size, times);
        // a consumer's run is one measurement (group join to last record): the clients take turns,
        // twice per round, and the best run is kept
        for (const client of [...rotated(round), ...rotated(round + 1)]) {
          const rate = await consume(client, broker.bootstrap, times.batchTopics[client], BATCH_COUNT + 10);
          consumed[client] = Math.max(consumed[client] ?? 0, rate);
          let checked = '';
          if (client === 'kafkaesque') {
            // ours once more with its default CRC checks (the others cannot check)
            const checkedRate = await consume(client, broker.bootstrap, times.batchTopics[client], BATCH_COUNT + 10, true);
            consumedChecked[client] = Math.max(consumedChecked[client] ?? 0, checkedRate);
            checked = `, CRC-checked ${checkedRate.toFixed(0)}/s`;
          } else {
            consumedChecked[client] = consumed[client];
          }
          process.stderr.write(`${label} round ${round + 1} ${client}: consume ${rate.toFixed(0)}/s${checked}\n`);
        }
        process.stderr.write(
          `${label} round ${round + 1} produce medians so far: ` +
            clients.map((client) => `${client} single ${((SINGLE_BLOCK / median(times.singleBlockMs[client])) * 1000).toFixed(0)}/s batched ${((CHUNK / median(times.batchMs[client])) * 1000).toFixed(0)}/s`).join('; ') +
            '\n',
        );
      }
      const rate = (blockMs: Record<ClientName, number[]>, perBlock: number) =>
        Object.fromEntries(clients.map((client) => [client, (perBlock / median(blockMs[client])) * 1000])) as Record<ClientName, number>;
      rows.push({ scenario: `produce single ${label}`, rates: rate(times.singleBlockMs, SINGLE_BLOCK) });
      rows.push({ scenario: `produce batched ${label}`, rates: rate(times.batchMs, CHUNK) });
      rows.push({ scenario: `consume ${label}`, rates: consumed });
      rows.push({ scenario: `consume ${label} CRC-checked`, rates: consumedChecked });
    }
  } finally {
    await admin.close();
    await broker.stop();
  }
  const pad = (text: string, width: number) => text.padStart(width);
  console.log(
    `\nrecords/s. produce: median block of ${ROUNDS} rounds × ${SINGLE_COUNT} awaited sends (blocks of ${SINGLE_BLOCK}) / ${BATCH_COUNT} records (batch calls of ${CHUNK}), clients interleaved by block; consume: best of ${2 * ROUNDS} runs of ${BATCH_COUNT} records\n`,
  );
  console.log(`${'scenario'.padEnd(28)}${pad('kafkaesque', 12)}${pad('kafkajs', 12)}${pad('platformatic', 14)}${pad('vs kafkajs', 12)}${pad('vs platf.', 11)}`);
  for (const row of rows) {
    const { kafkaesque, kafkajs: js, platformatic: pl } = row.rates;
    console.log(
      `${row.scenario.padEnd(28)}${pad(kafkaesque.toFixed(0), 12)}${pad(js.toFixed(0), 12)}${pad(pl.toFixed(0), 14)}${pad((kafkaesque / js).toFixed(2) + 'x', 12)}${pad((kafkaesque / pl).toFixed(2) + 'x', 11)}`,
    );
  }
}

await main();
