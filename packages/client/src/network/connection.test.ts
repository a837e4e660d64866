import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Reader, type Writer } from '@kafkaesque/protocol';
import { Connection, type OutgoingRequest } from './connection.ts';
import { KafkaConnectionError, KafkaTimeoutError } from '../errors.ts';

interface SeenRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  payload: number;
}

/**
 * A scripted server: parses request headers (v1) and calls `respond`, which returns the frames to
 * write back (or nothing, to stay silent).
 */
async function startServer(
  respond: (request: SeenRequest, socket: net.Socket) => void,
): Promise<{ port: number; close(): Promise<void>; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        const reader = new Reader(pending.subarray(4, 4 + size));
        const apiKey = reader.int16();
        const apiVersion = reader.int16();
        const correlationId = reader.int32();
        const clientId = reader.nullableString();
        const payload = reader.int32();
        pending = pending.subarray(4 + size);
        respond({ apiKey, apiVersion, correlationId, clientId, payload }, socket);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function responseFrame(correlationId: number, value: number): Buffer {
  const frame = Buffer.alloc(12);
  frame.writeInt32BE(8, 0);
  frame.writeInt32BE(correlationId, 4);
  frame.writeInt32BE(value, 8);
  return frame;
}

function echoRequest(payload: number, overrides: Partial<OutgoingRequest<number>> = {}): OutgoingRequest<number> {
  return {
    apiKey: 3,
    apiName: 'Metadata',
    apiVersion: 1,
    flexibleRequestHeader: false,
    flexibleResponseHeader: false,
    encodeBody: (writer: Writer) => void writer.int32(payload),
    decodeBody: (reader: Reader) => reader.int32(),
    ...overrides,
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(respond: (request: SeenRequest, socket: net.Socket) => void, options: Partial<ConstructorParameters<typeof Connection>[0]> = {}) {
  const server = await startServer(respond);
  const connection = new Connection({ host: '127.0.0.1', port: server.port, clientId: 'test-client', ...options });
  cleanups.push(() => server.close(), () => connection.close());
  return { server, connection };
}

describe('Connection', () => {
  it('pipelines requests and matches responses by correlation id', async () => {
    const seen: SeenRequest[] = [];
    const { connection } = await setup((request, socket) => {
      seen.push(request);
      socket.write(responseFrame(request.correlationId, request.payload * 2));
    });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => connection.send(echoRequest(i))));
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i * 2));
    expect(seen.map((request) => request.correlationId)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(seen[0].clientId).toBe('test-client');
    expect(seen[0].apiKey).toBe(3);
  });

  it('reassembles responses split into single bytes and several per chunk', async () => {
    const { connection } = await setup((request, socket) => {
      const frame = responseFrame(request.correlationId, request.payload + 1);
      if (request.payload % 2 === 0) {
        for (const byte of frame) socket.write(Buffer.from([byte]));
      } else {
        socket.write(Buffer.concat([frame]));
      }
    });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => connection.send(echoRequest(i))));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('keeps every response intact although reads reuse one buffer (large and small, pipelined)', async () => {
    // payload n asks for a response body of n * 37 KiB bytes, each byte (n + index) & 0xff: large
    // ones span many reads, small ones share reads, and views kept from early responses must not
    // be overwritten by later reads
    const { connection } = await setup((request, socket) => {
      const bodyBytes = request.payload * 37 * 1024 + 3;
      const frame = Buffer.alloc(8 + bodyBytes);
      frame.writeInt32BE(4 + bodyBytes, 0);
      frame.writeInt32BE(request.correlationId, 4);
      for (let i = 0; i < bodyBytes; i++) frame[8 + i] = (request.payload + i) & 0xff;
      socket.write(frame);
    });
    const payloads = [0, 5, 1, 0, 9, 2, 0, 0, 4];
    const bodies = await Promise.all(payloads.map((payload) => connection.send<Buffer>({ ...echoRequest(payload), decodeBody: (reader: Reader) => reader.buffer.subarray(reader.offset) })));
    payloads.forEach((payload, index) => {
      const body = bodies[index];
      expect(body.length).toBe(payload * 37 * 1024 + 3);
      const expected = Buffer.alloc(body.length);
      for (let i = 0; i < body.length; i++) expected[i] = (payload + i) & 0xff;
      expect(body.equals(expected)).toBe(true);
    });
  });

  it('never has more than inflightRequestsMax requests unanswered', async () => {
    let unanswered: SeenRequest[] = [];
    let maxUnanswered = 0;
    const { connection } = await setup(
      (request, socket) => {
        unanswered.push(request);
        maxUnanswered = Math.max(maxUnanswered, unanswered.length);
        // answer in bursts, once the client has sent everything it may
        setImmediate(() => {
          for (const held of unanswered) socket.write(responseFrame(held.correlationId, held.payload));
          unanswered = [];
        });
      },
      { inflightRequestsMax: 3 },
    );
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => connection.send(echoRequest(i))));
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(maxUnanswered).toBeLessThanOrEqual(3);
    expect(maxUnanswered).toBeGreaterThan(0);
  });

  it('rejects with a retriable KafkaTimeoutError when the broker stays silent', async () => {
    const { connection } = await setup(() => {}, { requestTimeoutMs: 100 });
    const failure = await connection.send(echoRequest(1)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KafkaTimeoutError);
    expect((failure as KafkaTimeoutError).retriable).toBe(true);
    expect((failure as KafkaTimeoutError).request?.apiName).toBe('Metadata');
    expect(connection.isClosed).toBe(true);
  });

  it('resolves requests that expect no response once written (acks=0)', async () => {
    const seen: number[] = [];
    const { connection } = await setup((request, socket) => {
      seen.push(request.payload);
      if (request.payload === 99) socket.write(responseFrame(request.correlationId, 1));
    });
    await connection.send(echoRequest(5, { expectResponse: false }));
    expect(await connection.send(echoRequest(99))).toBe(1);
    expect(seen).toEqual([5, 99]);
  });

  it('closes on an unexpected correlation id and fails what is pending', async () => {
    const { connection } = await setup((request, socket) => {
      socket.write(responseFrame(request.correlationId + 7, 0));
    });
    const failure = await connection.send(echoRequest(1)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KafkaConnectionError);
    expect(String((failure as Error).message)).toMatch(/correlation id/);
  });

  it('fails pending requests when the broker closes the socket', async () => {
    const { connection } = await setup((_request, socket) => socket.destroy());
    const failure = await connection.send(echoRequest(1)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KafkaConnectionError);
    expect((failure as KafkaConnectionError).retriable).toBe(true);
    await expect(connection.send(echoRequest(2))).rejects.toBeInstanceOf(KafkaConnectionError);
  });

  it('reports a refused connection as a KafkaConnectionError', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const connection = new Connection({ host: '127.0.0.1', port, clientId: null });
    await expect(connection.send(echoRequest(1))).rejects.toBeInstanceOf(KafkaConnectionError);
  });

  it('reads tagged fields of a flexible response header and writes them in the request header', async () => {
    let sawTaggedByte = -1;
    const server = net.createServer((socket) => {
      socket.on('data', (chunk) => {
        // header v2: key, version, correlation, client id, then an empty tagged-field section
        const reader = new Reader(chunk, 4);
        reader.int16();
        reader.int16();
        const correlationId = reader.int32();
        reader.nullableString();
        sawTaggedByte = reader.uint8();
        const frame = Buffer.alloc(13);
        frame.writeInt32BE(9, 0);
        frame.writeInt32BE(correlationId, 4);
        frame.writeUInt8(0, 8);
        frame.writeInt32BE(42, 9);
        socket.write(frame);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const connection = new Connection({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, clientId: 'x' });
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())), () => connection.close());
    const value = await connection.send(echoRequest(0, { flexibleRequestHeader: true, flexibleResponseHeader: true }));
    expect(value).toBe(42);
    expect(sawTaggedByte).toBe(0);
  });
});
