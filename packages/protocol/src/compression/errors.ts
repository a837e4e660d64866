import { ProtocolDecodeError } from '../primitives/errors.ts';

/** Decompressed output may not grow past this unless the caller says otherwise (bomb guard). */
export const DECOMPRESSED_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

export function compressionError(message: string, offset = -1): ProtocolDecodeError {
  return new ProtocolDecodeError('compression', message, offset);
}

export function outputCapError(codec: string, maxOutputBytes: number): ProtocolDecodeError {
  return compressionError(`${codec} output exceeds the cap of ${maxOutputBytes} bytes`);
}
