/**
 * Kafka UUIDs (topic ids, directory ids) travel as 16 raw bytes. In memory we keep them as the
 * 22-character URL-safe base64 text that Kafka prints (`Uuid.toString()`), so they can be Map
 * keys and show up in logs exactly as Kafka's tools show them.
 */
import { randomBytes } from 'node:crypto';

export type Uuid = string;

export const ZERO_UUID: Uuid = 'AAAAAAAAAAAAAAAAAAAAAA';

export function uuidFromBytes(bytes: Uint8Array): Uuid {
  return Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('base64url');
}

export function uuidToBytes(uuid: Uuid): Buffer {
  const bytes = Buffer.from(uuid, 'base64url');
  if (bytes.length !== 16) throw new TypeError(`not a Kafka UUID: ${JSON.stringify(uuid)}`);
  return bytes;
}

/** A random (version 4) UUID, never the all-zero one nor Kafka's reserved METADATA_TOPIC_ID (…01). */
export function randomUuid(): Uuid {
  for (;;) {
    const bytes = randomBytes(16);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const text = bytes.toString('base64url');
    if (text !== ZERO_UUID && !text.startsWith('-')) return text;
  }
}
