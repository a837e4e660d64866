/**
 * Test-only helpers for the log's tests (not exported from the package): batches built with
 * the protocol encoder, temp dirs, a manager with background tasks off and a fake clock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decodeRecordBatches, encodeControlBatch, encodeRecordBatch, type CompressionType } from '@kafkaesque/protocol';
import type { LogConfig, LogManager, LogManagerOptions } from './api.ts';
import { openLogManager } from './log-manager.ts';

export interface BatchOptions {
  count?: number;
  keys?: (string | null)[];
  values?: (string | null)[];
  timestamp?: number;
  timestamps?: number[];
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  compression?: CompressionType;
  valueBytes?: number;
}

export function batch(options: BatchOptions = {}): Buffer {
  const count = options.count ?? options.values?.length ?? options.keys?.length ?? 1;
  const records = Array.from({ length: count }, (_, index) => ({
    key: options.keys ? options.keys[index] : null,
    value: options.values ? options.values[index] : options.valueBytes ? Buffer.alloc(options.valueBytes, index % 251) : `v${index}`,
    timestamp: options.timestamps ? options.timestamps[index] : (options.timestamp ?? 1_000) + index,
  }));
  return encodeRecordBatch({
    records,
    producerId: options.producerId ?? -1n,
    producerEpoch: options.producerEpoch ?? -1,
    baseSequence: options.baseSequence ?? -1,
    transactional: options.transactional,
    compression: options.compression,
  });
}

export function marker(type: 'commit' | 'abort', producerId: bigint, producerEpoch: number, coordinatorEpoch = 0, timestamp = 1_000): Buffer {
  return encodeControlBatch({ type, producerId, producerEpoch, coordinatorEpoch, timestamp });
}

/** Values of every record in `records` with their offsets. */
export function recordsOf(records: Buffer): { offset: number; key: string | null; value: string | null }[] {
  const { batches } = decodeRecordBatches(records);
  return batches.flatMap((decoded) =>
    decoded.isControl ? [] : decoded.records.map((record) => ({ offset: record.offset, key: record.key?.toString() ?? null, value: record.value?.toString() ?? null })),
  );
}

export async function tempDir(prefix = 'kafkaesque-log-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export class FakeClock {
  nowMs: number;
  constructor(startMs = 1_000_000) {
    this.nowMs = startMs;
  }
  readonly now = (): number => this.nowMs;
}

export function openTestManager(dir: string, clock: FakeClock, config: Partial<LogConfig> = {}, extra: Partial<LogManagerOptions> = {}): Promise<LogManager> {
  return openLogManager({ logDirs: [dir], brokerId: 1, clockMs: clock.now, backgroundTasks: false, defaultConfig: { fileDeleteDelayMs: 0, ...config }, ...extra });
}
