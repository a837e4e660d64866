// A dependency-free readiness probe: one ApiVersions v0 request, encoded by hand (it is the one
// request every Kafka version answers the same way), so the fixtures don't need the codecs.
import { connect } from 'node:net';

const apiVersionsKey = 18;
const probeCorrelationId = 0x6b61666b;
/** An ApiVersions v0 answer is a few hundred bytes; anything bigger is not a Kafka broker. */
const probeResponseBytesMax = 64 * 1024;

/** Resolves with the ApiVersions error code of the broker at host:port, or rejects. */
export function probeApiVersions(host: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from('kafkaesque-compat-probe');
    const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
    request.writeInt32BE(request.length - 4, 0);
    request.writeInt16BE(apiVersionsKey, 4);
    request.writeInt16BE(0, 6);
    request.writeInt32BE(probeCorrelationId, 8);
    request.writeInt16BE(clientId.length, 12);
    clientId.copy(request, 14);
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const fail = (error: Error) => { socket.destroy(); reject(error); };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no ApiVersions answer from ${host}:${port} in ${timeoutMs} ms`)));
    socket.on('error', fail);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length > probeResponseBytesMax) return fail(new Error('oversized ApiVersions answer'));
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      if (received.readInt32BE(4) !== probeCorrelationId) return fail(new Error('wrong correlation id'));
      socket.destroy();
      resolve(received.readInt16BE(8));
    });
  });
}
