/**
 * Typed errors for malformed wire data. Decoders throw only ProtocolDecodeError on bad input,
 * never RangeError or a huge allocation, so callers can answer with a Kafka error code or close
 * the connection without guessing what went wrong.
 */
export type ProtocolDecodeErrorKind =
  | 'truncated' // fewer bytes left than the field needs
  | 'length' // a declared length is negative where not allowed, or larger than the bytes left
  | 'varint' // a varint runs past its maximum width
  | 'value' // a value outside its domain (bad enum, bad magic, bad UTF-8 where checked)
  | 'version' // an API version the codec does not know
  | 'crc' // a checksum mismatch
  | 'compression'; // a compressed payload that cannot be decompressed, or exceeds its cap

export class ProtocolDecodeError extends Error {
  readonly kind: ProtocolDecodeErrorKind;
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;
  constructor(kind: ProtocolDecodeErrorKind, message: string, offset = -1) {
    super(message);
    this.name = 'ProtocolDecodeError';
    this.kind = kind;
    this.offset = offset;
  }
}

/** Raised when asked to encode a value that the wire format cannot carry. */
export class ProtocolEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolEncodeError';
  }
}
