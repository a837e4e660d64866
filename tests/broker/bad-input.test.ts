// Bad input against a running broker: random bytes, truncated frames, a frame declaring 2 GB,
// unknown API keys and versions, an array length of 2^31-1 in a tiny request, and a client
// that pipelines thousands of requests without reading. Each bad connection gets an error
// response or is closed; the broker keeps serving other clients, and its memory stays bounded.
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ApiKey, encodeRequest } from '@kafkaesque/protocol';
import { startCluster, type Cluster } from '@kafkaesque/broker';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './support/raw-client.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let cluster: Cluster;
let port: number;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 1 });
  port = cluster.brokers[0].port;
});

afterAll(async () => {
  await cluster?.close();
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends bytes, half-closes, and collects what comes back until the broker closes. */
async function exchange(bytes: Buffer, halfClose = true): Promise<Buffer> {
  const socket = await open();
  socket.on('error', () => undefined);
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(bytes);
  if (halfClose) socket.end();
  await closed;
  return Buffer.concat(received);
}

function header(apiKey: number, version: number, correlationId: number): Buffer {
  const bytes = Buffer.alloc(10);
  bytes.writeInt16BE(apiKey, 0);
  bytes.writeInt16BE(version, 2);
  bytes.writeInt32BE(correlationId, 4);
  bytes.writeInt16BE(-1, 8);
  return bytes;
}

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

async function brokerStillServes(): Promise<void> {
  const client = await RawClient.connect(cluster.bootstrap);
  const body = await client.request(ApiKey.Metadata, 1, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  expect(body.brokers[0].nodeId).toBe(1);
  client.close();
}

function heapUsedBytes(): number {
  gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

describe('bad input', () => {
  it('closes a connection announcing a 2 GB frame without waiting for its body', async () => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(0x7fff_ffff, 0);
    const answer = await exchange(size, false);
    expect(answer.length).toBe(0);
    await brokerStillServes();
  });

  it('closes on unknown API keys and unsupported versions (ApiVersions excepted)', async () => {
    expect((await exchange(frame(header(9999, 0, 1)), false)).length).toBe(0);
    expect((await exchange(frame(header(ApiKey.Produce, 99, 2)), false)).length).toBe(0);
    const apiVersions = await exchange(frame(header(ApiKey.ApiVersions, 77, 3)));
    expect(apiVersions.readInt32BE(4)).toBe(3); // answered: UNSUPPORTED_VERSION with our ranges
    expect(apiVersions.readInt16BE(8)).toBe(35);
    await brokerStillServes();
  });

  it('rejects an array length of 2^31-1 in a tiny request before allocating', async () => {
    const before = heapUsedBytes();
    for (const [apiKey, version] of [[ApiKey.Metadata, 1], [ApiKey.Produce, 3], [ApiKey.CreateTopics, 2], [ApiKey.Fetch, 4]]) {
      const body = Buffer.alloc(16, 0);
      // Right after the header: Metadata topics / Produce transactional id + acks + timeout…;
      // fill with 0x7f so every length read is huge.
      body.fill(0x7f);
      const answer = await exchange(frame(Buffer.concat([header(apiKey, version, 5), body])));
      expect(answer.length).toBe(0);
    }
    expect(heapUsedBytes() - before).toBeLessThan(32 * 1024 * 1024);
    await brokerStillServes();
  });

  it('survives truncated frames and random bytes, connection by connection', async () => {
    const valid = encodeRequest(ApiKey.Metadata, 4, 9, 'cut', { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    for (let cut = 1; cut < valid.length; cut += 3) {
      const answer = await exchange(valid.subarray(0, cut));
      expect(answer.length).toBe(0);
    }
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        await exchange(Buffer.from(bytes));
      }),
      { numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.values(ApiKey).filter((key) => key < 70)),
        fc.integer({ min: 0, max: 12 }),
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        async (apiKey, version, body) => {
          const answer = await exchange(frame(Buffer.concat([header(apiKey, version, 11), Buffer.from(body)])));
          if (answer.length > 0) expect(answer.readInt32BE(4)).toBe(11);
        },
      ),
      { numRuns: 200 },
    );
    await brokerStillServes();
  });

  it('keeps memory bounded under many half-sent 100 MiB frames and an unread pipeline flood', async () => {
    const before = heapUsedBytes();
    const sockets: Socket[] = [];
    for (let i = 0; i < 40; i++) {
      const socket = await open();
      socket.on('error', () => undefined);
      const size = Buffer.alloc(4);
      size.writeInt32BE(100 * 1024 * 1024, 0);
      socket.write(Buffer.concat([size, Buffer.alloc(16 * 1024, 1)]));
      sockets.push(socket);
    }
    // One client pipelines 100 000 requests (~37 MB of answers) and reads nothing until it has sent them all.
    const flood = await open();
    const request = encodeRequest(ApiKey.ApiVersions, 0, 0, 'flood', { clientSoftwareName: '', clientSoftwareVersion: '' });
    const count = 100_000;
    const all = Buffer.concat(Array.from({ length: count }, (_, i) => {
      const copy = Buffer.from(request);
      copy.writeInt32BE(i, 8);
      return copy;
    }));
    flood.pause();
    const written = new Promise<void>((resolve) => flood.write(all, () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const during = heapUsedBytes();
    // Read everything: every response arrives, in order.
    let buffered = Buffer.alloc(0);
    let seen = 0;
    let ordered = true;
    const done = new Promise<void>((resolve) => {
      flood.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          if (buffered.readInt32BE(4) !== seen) ordered = false;
          seen++;
          buffered = buffered.subarray(4 + buffered.readInt32BE(0));
        }
        if (seen === count) resolve();
      });
    });
    flood.resume();
    await written;
    await done;
    expect(ordered).toBe(true);
    expect(during - before).toBeLessThan(24 * 1024 * 1024);
    for (const socket of sockets) socket.destroy();
    flood.destroy();
    await brokerStillServes();
  });
});
