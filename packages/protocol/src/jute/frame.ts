/**
 * ZooKeeper framing: every message is an int32 length and that many bytes. Requests after the
 * connect handshake are RequestHeader + body; replies are ReplyHeader + body; notifications are
 * ReplyHeader {xid: -1} + WatcherEvent.
 */
import { ProtocolDecodeError } from '../primitives/errors.ts';
import { Writer } from '../primitives/writer.ts';
import { JUTE_MAX_BUFFER_BYTES, type JuteCodec } from './codec.ts';
import { ZkReplyHeader, ZkRequestHeader } from './records.ts';

/**
 * Largest frame we accept: jute.maxbuffer of payload plus room for the headers and path that
 * come with it (ZooKeeper likewise adds slack over jute.maxbuffer for request framing).
 */
export const ZK_FRAME_BYTES_MAX = JUTE_MAX_BUFFER_BYTES + 64 * 1024;

/** A framed record: int32 length then the record (used for the connect handshake). */
export function encodeZkFrame<T>(codec: JuteCodec<T>, value: T): Buffer {
  const writer = new Writer(128);
  writer.reserve(4);
  codec.encode(writer, value);
  writer.patchInt32(0, writer.offset - 4);
  return Buffer.from(writer.finish());
}

/** A framed request: length, RequestHeader {xid, type}, then the body (if any). */
export function encodeZkRequest<T>(xid: number, type: number, codec: JuteCodec<T> | null, body: T): Buffer {
  const writer = new Writer(128);
  writer.reserve(4);
  ZkRequestHeader.encode(writer, { xid, type });
  if (codec !== null) codec.encode(writer, body);
  writer.patchInt32(0, writer.offset - 4);
  return Buffer.from(writer.finish());
}

/** A framed reply: length, ReplyHeader {xid, zxid, err}, then the body (only when err is 0 and there is one). */
export function encodeZkReply<T>(xid: number, zxid: bigint, err: number, codec: JuteCodec<T> | null, body: T): Buffer {
  const writer = new Writer(128);
  writer.reserve(4);
  ZkReplyHeader.encode(writer, { xid, zxid, err });
  if (codec !== null) codec.encode(writer, body);
  writer.patchInt32(0, writer.offset - 4);
  return Buffer.from(writer.finish());
}

/**
 * Splits a byte stream into frames. Chunks are kept as a list and joined only when a frame is
 * complete, so a large frame arriving in many pieces costs one copy.
 */
export class ZkFrameDecoder {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  readonly frameBytesMax: number;

  constructor(frameBytesMax = ZK_FRAME_BYTES_MAX) {
    this.frameBytesMax = frameBytesMax;
  }

  /** Adds bytes and returns every frame (without its length prefix) now complete. Throws a
   * ProtocolDecodeError for a negative or oversized length. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    const frames: Buffer[] = [];
    while (this.bufferedBytes >= 4) {
      const head = this.peekHead();
      const length = head.readInt32BE(0);
      if (length < 0 || length > this.frameBytesMax) {
        throw new ProtocolDecodeError('length', `frame length ${length} outside 0..${this.frameBytesMax}`, 0);
      }
      if (this.bufferedBytes < 4 + length) break;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.bufferedBytes);
      frames.push(all.subarray(4, 4 + length));
      const rest = all.subarray(4 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
    }
    return frames;
  }

  private peekHead(): Buffer {
    if (this.chunks[0].length >= 4) return this.chunks[0];
    const joined = Buffer.concat(this.chunks, this.bufferedBytes);
    this.chunks = [joined];
    return joined;
  }
}
