import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaServer, type ServerOptions } from './server.ts';

const servers: KafkaServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function frame(correlationId: number, payload = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(4 + 10 + payload.length);
  out.writeInt32BE(10 + payload.length, 0);
  out.writeInt16BE(18, 4);
  out.writeInt16BE(0, 6);
  out.writeInt32BE(correlationId, 8);
  out.writeInt16BE(-1, 12);
  payload.copy(out, 14);
  return out;
}

/** Echo dispatcher: answers with the correlation id after a delay given by the payload. */
function response(correlationId: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeInt32BE(4, 0);
  out.writeInt32BE(correlationId, 4);
  return out;
}

async function start(overrides: Partial<ServerOptions> = {}): Promise<{ server: KafkaServer; port: number }> {
  const server = new KafkaServer({
    host: '127.0.0.1',
    port: 0,
    requestBytesMax: 1024,
    inflightRequestsMax: 4,
    idleTimeoutMs: 0,
    connectionsMax: 100,
    shutdownTimeoutMs: 2000,
    dispatch: async (bytes) => {
      const correlationId = bytes.readInt32BE(4);
      const delayMs = bytes.length > 10 ? bytes[10] : 0;
      if (delayMs > 0) await sleep(delayMs);
      return response(correlationId);
    },
    ...overrides,
  });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

function readResponses(socket: Socket, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const ids: number[] = [];
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        ids.push(buffered.readInt32BE(4));
        buffered = buffered.subarray(4 + buffered.readInt32BE(0));
      }
      if (ids.length === count) resolve(ids);
    });
    socket.on('close', () => (ids.length === count ? resolve(ids) : reject(new Error(`closed after ${ids.length}`))));
  });
}

function waitClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.on('close', () => resolve());
    socket.resume();
  });
}

describe('KafkaServer', () => {
  it('answers pipelined requests in order even when later ones finish first', async () => {
    const { port } = await start();
    const socket = await open(port);
    const count = 20;
    const answers = readResponses(socket, count);
    // Earlier requests sleep longer, so handlers complete in reverse order.
    const all = Buffer.concat(Array.from({ length: count }, (_, i) => frame(i, Buffer.from([(count - i) * 2]))));
    // Split at awkward places so frames straddle chunks.
    for (let at = 0; at < all.length; at += 7) socket.write(all.subarray(at, at + 7));
    expect(await answers).toEqual(Array.from({ length: count }, (_, i) => i));
    socket.destroy();
  });

  it('never holds more than inflightRequestsMax requests of one connection', async () => {
    let active = 0;
    let activeMax = 0;
    const { port } = await start({
      inflightRequestsMax: 3,
      dispatch: async (bytes) => {
        active++;
        activeMax = Math.max(activeMax, active);
        await sleep(5);
        active--;
        return response(bytes.readInt32BE(4));
      },
    });
    const socket = await open(port);
    const answers = readResponses(socket, 30);
    socket.write(Buffer.concat(Array.from({ length: 30 }, (_, i) => frame(i))));
    expect(await answers).toHaveLength(30);
    expect(activeMax).toBeLessThanOrEqual(3);
    socket.destroy();
  });

  it('closes a connection whose frame declares more than requestBytesMax, before reading the body', async () => {
    const { port } = await start();
    const bad = await open(port);
    const good = await open(port);
    const header = Buffer.alloc(4);
    header.writeInt32BE(0x7fff_ffff, 0);
    bad.write(header);
    await waitClosed(bad);
    const answers = readResponses(good, 1);
    good.write(frame(7));
    expect(await answers).toEqual([7]);
    good.destroy();
  });

  it('closes on negative and tiny sizes', async () => {
    const { port } = await start();
    for (const size of [-1, -0x8000_0000, 0, 3]) {
      const socket = await open(port);
      const header = Buffer.alloc(4);
      header.writeInt32BE(size, 0);
      socket.write(header);
      await waitClosed(socket);
    }
  });

  it('closes only the connection whose handler throws', async () => {
    const { port } = await start({
      dispatch: (bytes) => {
        if (bytes.readInt32BE(4) === 666) throw new Error('bad request');
        return response(bytes.readInt32BE(4));
      },
    });
    const bad = await open(port);
    const good = await open(port);
    bad.write(frame(666));
    await waitClosed(bad);
    const answers = readResponses(good, 2);
    good.write(Buffer.concat([frame(1), frame(2)]));
    expect(await answers).toEqual([1, 2]);
    good.destroy();
  });

  it('sends nothing for requests whose dispatcher returns null, keeping order for the rest', async () => {
    const { port } = await start({
      dispatch: (bytes) => (bytes.readInt32BE(4) % 2 === 0 ? null : response(bytes.readInt32BE(4))),
    });
    const socket = await open(port);
    const answers = readResponses(socket, 3);
    socket.write(Buffer.concat([0, 1, 2, 3, 4, 5].map((id) => frame(id))));
    expect(await answers).toEqual([1, 3, 5]);
    socket.destroy();
  });

  it('closes idle connections after idleTimeoutMs', async () => {
    const { port, server } = await start({ idleTimeoutMs: 50 });
    const socket = await open(port);
    await waitClosed(socket);
    expect(server.connectionCount).toBe(0);
  });

  it('finishes in-flight requests on graceful shutdown', async () => {
    const { port, server } = await start();
    const socket = await open(port);
    const answers = readResponses(socket, 2);
    socket.write(Buffer.concat([frame(1, Buffer.from([40])), frame(2, Buffer.from([20]))]));
    await sleep(10);
    const closed = server.close();
    expect(await answers).toEqual([1, 2]);
    await closed;
    await waitClosed(socket);
  });
});
