/**
 * Splits a TCP byte stream into Kafka request frames (int32 size prefix + body).
 *
 * The declared size is checked against `requestBytesMax` as soon as the 4 prefix bytes are in,
 * before any body byte is buffered or allocated: a client announcing a 2 GB frame is rejected
 * with 4 bytes read, never with a 2 GB allocation (Kafka's socket.request.max.bytes).
 * A frame that arrives inside one chunk is returned as a zero-copy view of that chunk.
 */

export class FrameTooLargeError extends Error {
  readonly code = 'FRAME_TOO_LARGE';
  readonly retriable = false;
  readonly declaredBytes: number;
  constructor(declaredBytes: number, requestBytesMax: number) {
    super(`request frame declares ${declaredBytes} bytes, above the limit of ${requestBytesMax}`);
    this.name = 'FrameTooLargeError';
    this.declaredBytes = declaredBytes;
  }
}

export class FrameInvalidError extends Error {
  readonly code = 'FRAME_INVALID';
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'FrameInvalidError';
  }
}

const SIZE_PREFIX_BYTES = 4;
/** The smallest request: api key, api version, correlation id, client id length. */
export const REQUEST_FRAME_BYTES_MIN = 10;

export class FrameReader {
  private readonly requestBytesMax: number;
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Size of the frame being assembled, or -1 while its prefix is still incomplete. */
  private frameBytes = -1;

  constructor(requestBytesMax: number) {
    this.requestBytesMax = requestBytesMax;
  }

  /** Bytes held for frames not yet complete (bounded by requestBytesMax + one chunk). */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /**
   * Adds a chunk and returns the frames (without size prefix) completed by it.
   * Throws FrameTooLargeError / FrameInvalidError; the connection must then be closed.
   */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    if (this.bufferedBytes === 0 && this.frameBytes < 0) {
      // Fast path: parse frames straight out of the chunk while it holds whole frames.
      let at = 0;
      while (chunk.length - at >= SIZE_PREFIX_BYTES) {
        const size = this.checkSize(chunk.readInt32BE(at));
        if (chunk.length - at - SIZE_PREFIX_BYTES < size) break;
        frames.push(chunk.subarray(at + SIZE_PREFIX_BYTES, at + SIZE_PREFIX_BYTES + size));
        at += SIZE_PREFIX_BYTES + size;
      }
      if (at === chunk.length) return frames;
      chunk = chunk.subarray(at);
    }
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    for (;;) {
      if (this.frameBytes < 0) {
        if (this.bufferedBytes < SIZE_PREFIX_BYTES) break;
        this.frameBytes = this.checkSize(this.take(SIZE_PREFIX_BYTES).readInt32BE(0));
      }
      if (this.bufferedBytes < this.frameBytes) break;
      frames.push(this.take(this.frameBytes));
      this.frameBytes = -1;
    }
    return frames;
  }

  private checkSize(size: number): number {
    if (size > this.requestBytesMax) throw new FrameTooLargeError(size, this.requestBytesMax);
    if (size < REQUEST_FRAME_BYTES_MIN) throw new FrameInvalidError(`request frame of ${size} bytes is too small`);
    return size;
  }

  /** Removes `byteCount` buffered bytes (caller checked they are there). */
  private take(byteCount: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= byteCount) {
      const taken = first.subarray(0, byteCount);
      if (first.length === byteCount) this.chunks.shift();
      else this.chunks[0] = first.subarray(byteCount);
      this.bufferedBytes -= byteCount;
      return taken;
    }
    const taken = Buffer.allocUnsafe(byteCount);
    let filled = 0;
    while (filled < byteCount) {
      const chunk = this.chunks[0];
      const n = Math.min(chunk.length, byteCount - filled);
      chunk.copy(taken, filled, 0, n);
      filled += n;
      if (n === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(n);
    }
    this.bufferedBytes -= byteCount;
    return taken;
  }
}
