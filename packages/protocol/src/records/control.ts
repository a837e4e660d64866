/**
 * Control batches: a batch with the control bit holding one control record, the commit or abort
 * marker a transaction coordinator writes to each partition it touched. The record key is
 * `version int16 (0) | type int16 (0 abort, 1 commit)`; the value of a transaction marker is
 * `version int16 (0) | coordinatorEpoch int32`. Control batches are always transactional.
 */
import { ProtocolDecodeError } from '../primitives/errors.ts';
import { encodeRecordBatch } from './record-batch.ts';

export const ControlRecordType = { abort: 0, commit: 1 } as const;
export type ControlRecordTypeName = keyof typeof ControlRecordType;

const CONTROL_KEY_BYTES = 4;
const CONTROL_VALUE_BYTES = 6;

export interface ControlRecordKey {
  version: number;
  type: number;
}

export interface ControlRecordValue {
  version: number;
  coordinatorEpoch: number;
}

export interface ControlBatchSpec {
  type: ControlRecordTypeName;
  producerId: bigint | number;
  producerEpoch: number;
  coordinatorEpoch: number;
  timestamp?: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
}

export function encodeControlRecordKey(type: ControlRecordTypeName): Buffer {
  const key = Buffer.allocUnsafe(CONTROL_KEY_BYTES);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(ControlRecordType[type], 2);
  return key;
}

export function encodeControlRecordValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(CONTROL_VALUE_BYTES);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/** Reads a control record key; newer versions are accepted as long as they keep the prefix. */
export function decodeControlRecordKey(key: Uint8Array | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_KEY_BYTES) {
    throw new ProtocolDecodeError('truncated', `control record key needs ${CONTROL_KEY_BYTES} bytes`);
  }
  const view = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const version = view.readInt16BE(0);
  if (version < 0) throw new ProtocolDecodeError('value', `control record key version ${version}`);
  return { version, type: view.readInt16BE(2) };
}

export function decodeControlRecordValue(value: Uint8Array | null): ControlRecordValue {
  if (value === null || value.length < CONTROL_VALUE_BYTES) {
    throw new ProtocolDecodeError('truncated', `control record value needs ${CONTROL_VALUE_BYTES} bytes`);
  }
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return { version: view.readInt16BE(0), coordinatorEpoch: view.readInt32BE(2) };
}

/** A transactional control batch carrying one commit or abort marker. */
export function encodeControlBatch(spec: ControlBatchSpec): Buffer {
  const timestamp = spec.timestamp ?? Date.now();
  return encodeRecordBatch({
    baseOffset: spec.baseOffset,
    partitionLeaderEpoch: spec.partitionLeaderEpoch,
    transactional: true,
    control: true,
    producerId: spec.producerId,
    producerEpoch: spec.producerEpoch,
    baseTimestamp: timestamp,
    records: [
      { key: encodeControlRecordKey(spec.type), value: encodeControlRecordValue(spec.coordinatorEpoch), timestamp },
    ],
  });
}
