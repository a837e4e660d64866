/**
 * Micro-benchmark of the generated message codecs on the two hottest shapes: a Metadata response
 * (many small nested structs) and a Produce request (few structs around large record buffers),
 * beside kafkajs 2.2.4's hand-written encoders/decoders for the same messages where it has them.
 *
 *   pnpm exec node bench/messages/main.ts [--time-ms 400]
 *
 * Reports calls per CPU-second (best of a few rounds; the machine is shared) and, for ours, the
 * bytes allocated per call as measured by heap growth with GC off between samples (approximate).
 */
import { createRequire } from 'node:module';
import { MetadataResponse, ProduceRequest, Reader, Writer, type MessageCodec } from '../../packages/protocol/src/index.ts';

const testsRequire = createRequire(new URL('../../tests/package.json', import.meta.url));
const kafkajsRoot = testsRequire.resolve('kafkajs').replace(/index\.js$/, '');
const kafkajsMetadataV6 = testsRequire(`${kafkajsRoot}src/protocol/requests/metadata/v6/response.js`);
const KafkajsEncoder = testsRequire(`${kafkajsRoot}src/protocol/encoder.js`);

const argTime = process.argv.indexOf('--time-ms');
const RUN_MS = argTime > 0 ? Number(process.argv[argTime + 1]) : 400;
const ROUNDS = 4;

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

async function measure(fn: () => unknown): Promise<number> {
  const isAsync = fn() instanceof Promise;
  const runFor = async (ms: number) => {
    let calls = 0;
    const start = cpuSeconds();
    const wallEnd = Date.now() + ms;
    while (Date.now() < wallEnd) {
      for (let i = 0; i < 20; i++) {
        if (isAsync) await fn();
        else fn();
      }
      calls += 20;
    }
    return calls / (cpuSeconds() - start);
  };
  await runFor(RUN_MS / 4);
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) best = Math.max(best, await runFor(RUN_MS / ROUNDS));
  return best;
}

function bytesPerCall(fn: () => unknown): number {
  const calls = 2000;
  for (let i = 0; i < 200; i++) fn();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < calls; i++) fn();
  return Math.max(0, (process.memoryUsage().heapUsed - before) / calls);
}

function metadataResponse(): MetadataResponse {
  const message = MetadataResponse.defaults();
  message.clusterId = 'bench-cluster';
  message.controllerId = 1;
  for (let b = 0; b < 3; b++) message.brokers.push({ nodeId: b, host: `broker-${b}.local`, port: 9092, rack: null });
  for (let t = 0; t < 50; t++) {
    const partitions = [];
    for (let p = 0; p < 10; p++) {
      partitions.push({
        errorCode: 0,
        partitionIndex: p,
        leaderId: p % 3,
        leaderEpoch: 4,
        replicaNodes: [0, 1, 2],
        isrNodes: [0, 1, 2],
        offlineReplicas: [],
      });
    }
    message.topics.push({
      errorCode: 0,
      name: `topic-${t}`,
      topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
      isInternal: false,
      partitions,
      topicAuthorizedOperations: -2147483648,
    });
  }
  return message;
}

function produceRequest(): ProduceRequest {
  const message = ProduceRequest.defaults();
  message.acks = -1;
  message.timeoutMs = 30_000;
  const records = Buffer.alloc(16 * 1024, 7);
  for (let t = 0; t < 4; t++) {
    const partitionData = [];
    for (let p = 0; p < 4; p++) partitionData.push({ index: p, records });
    message.topicData.push({ name: `topic-${t}`, partitionData });
  }
  return message;
}

function encoder<T>(codec: MessageCodec<T>, message: T, version: number): () => Buffer {
  return () => {
    const writer = new Writer(1024);
    codec.encode(writer, message, version);
    return writer.finish();
  };
}

function decoder<T>(codec: MessageCodec<T>, bytes: Buffer, version: number): () => T {
  return () => codec.decode(new Reader(bytes), version);
}

const metadata = metadataResponse();
const produce = produceRequest();
const cases: [string, () => unknown][] = [];
for (const version of [1, 6, 12]) {
  const encode = encoder(MetadataResponse, metadata, version);
  cases.push([`Metadata response v${version} encode (${encode().length} B)`, encode]);
  cases.push([`Metadata response v${version} decode`, decoder(MetadataResponse, Buffer.from(encode()), version)]);
}
const metadataV6 = Buffer.from(encoder(MetadataResponse, metadata, 6)());
cases.push(['kafkajs Metadata response v6 decode', () => kafkajsMetadataV6.decode(metadataV6)]);
for (const version of [3, 9]) {
  const encode = encoder(ProduceRequest, produce, version);
  cases.push([`Produce request v${version} encode (${encode().length} B)`, encode]);
  cases.push([`Produce request v${version} decode`, decoder(ProduceRequest, Buffer.from(encode()), version)]);
}
// kafkajs builds a produce request from nested Encoders; this is the same framing around raw records
cases.push([
  'kafkajs-style Produce v3 framing encode',
  () =>
    new KafkajsEncoder()
      .writeString(null)
      .writeInt16(-1)
      .writeInt32(30_000)
      .writeArray(
        produce.topicData.map((t) =>
          new KafkajsEncoder()
            .writeString(t.name)
            .writeArray(
              t.partitionData.map((p) => new KafkajsEncoder().writeInt32(p.index).writeInt32(p.records!.length).writeBuffer(p.records!)),
            ),
        ),
      ).buffer,
]);

for (const [name, fn] of cases) {
  const perSecond = await measure(fn);
  const allocated = name.startsWith('kafkajs') ? '' : `  ~${Math.round(bytesPerCall(fn)).toLocaleString('en')} B allocated/call`;
  console.log(`${name.padEnd(48)} ${Math.round(perSecond).toLocaleString('en').padStart(10)} calls/s${allocated}`);
}
