/**
 * Kafka's small text files: offset checkpoints (recovery-point-offset-checkpoint,
 * log-start-offset-checkpoint, replication-offset-checkpoint, cleaner-offset-checkpoint),
 * leader-epoch-checkpoint, partition.metadata and meta.properties. Written atomically
 * (temp file, fsync, rename, fsync dir) as Kafka does, so a crash leaves the old or the new.
 */
import * as path from 'node:path';
import type { EpochEntry, TopicPartition } from './api.ts';
import type { LogFs } from './fs.ts';

const CHECKPOINT_VERSION = 0;

export class CheckpointFormatError extends Error {
  constructor(file: string, why: string) {
    super(`malformed checkpoint file ${file}: ${why}`);
    this.name = 'CheckpointFormatError';
  }
}

/** Writes `content` to `file` atomically. */
export async function writeFileAtomic(fs: LogFs, file: string, content: string | Buffer): Promise<void> {
  const temp = `${file}.tmp`;
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const handle = await fs.open(temp, 'write');
  try {
    await handle.truncate(0);
    let written = 0;
    while (written < bytes.length) {
      const count = await handle.write(bytes, written, bytes.length - written, written);
      if (count <= 0) throw new Error(`write to ${temp} made no progress`);
      written += count;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  await fs.syncDir(path.dirname(file));
}

function parseLines(file: string, text: string, fieldsPerLine: number): string[][] {
  const lines = text.split('\n').filter((line, index, all) => !(index === all.length - 1 && line === ''));
  if (lines.length < 2) throw new CheckpointFormatError(file, 'missing version or count line');
  if (Number(lines[0]) !== CHECKPOINT_VERSION) throw new CheckpointFormatError(file, `unknown version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0) throw new CheckpointFormatError(file, `bad count ${lines[1]}`);
  if (lines.length - 2 !== count) throw new CheckpointFormatError(file, `expected ${count} entries, found ${lines.length - 2}`);
  return lines.slice(2).map((line) => {
    const fields = line.split(' ');
    if (fields.length !== fieldsPerLine) throw new CheckpointFormatError(file, `bad line ${JSON.stringify(line)}`);
    return fields;
  });
}

function parseOffset(file: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw new CheckpointFormatError(file, `bad number ${JSON.stringify(text)}`);
  return Number(text);
}

export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/** Reads an offset checkpoint: partition key (`topic-partition`) → offset. Missing file → empty. */
export async function readOffsetCheckpoint(fs: LogFs, file: string): Promise<Map<string, number>> {
  const bytes = await fs.readFile(file);
  const offsets = new Map<string, number>();
  if (!bytes) return offsets;
  for (const [topic, partition, offset] of parseLines(file, bytes.toString('utf8'), 3)) {
    offsets.set(partitionKey({ topic, partition: parseOffset(file, partition) }), parseOffset(file, offset));
  }
  return offsets;
}

export function formatOffsetCheckpoint(entries: Iterable<[TopicPartition, number]>): string {
  const lines: string[] = [];
  for (const [tp, offset] of entries) lines.push(`${tp.topic} ${tp.partition} ${offset}`);
  return `${CHECKPOINT_VERSION}\n${lines.length}\n${lines.map((line) => `${line}\n`).join('')}`;
}

export async function writeOffsetCheckpoint(fs: LogFs, file: string, entries: Iterable<[TopicPartition, number]>): Promise<void> {
  await writeFileAtomic(fs, file, formatOffsetCheckpoint(entries));
}

export async function readLeaderEpochCheckpoint(fs: LogFs, file: string): Promise<EpochEntry[]> {
  const bytes = await fs.readFile(file);
  if (!bytes) return [];
  return parseLines(file, bytes.toString('utf8'), 2).map(([epoch, startOffset]) => ({
    epoch: parseOffset(file, epoch),
    startOffset: parseOffset(file, startOffset),
  }));
}

export function formatLeaderEpochCheckpoint(entries: readonly EpochEntry[]): string {
  return `${CHECKPOINT_VERSION}\n${entries.length}\n${entries.map((entry) => `${entry.epoch} ${entry.startOffset}\n`).join('')}`;
}

export function formatPartitionMetadata(topicId: string): string {
  return `version: 0\ntopic_id: ${topicId}\n`;
}

/** Returns the topic id of a partition.metadata file, or undefined when absent. */
export async function readPartitionMetadata(fs: LogFs, file: string): Promise<string | undefined> {
  const bytes = await fs.readFile(file);
  if (!bytes) return undefined;
  const fields = parseProperties(bytes.toString('utf8'), ':');
  if (fields.get('version') !== '0') throw new CheckpointFormatError(file, `unknown version ${fields.get('version')}`);
  const topicId = fields.get('topic_id');
  if (!topicId) throw new CheckpointFormatError(file, 'missing topic_id');
  return topicId;
}

/** Java .properties subset: `key=value` (or `key: value`) lines, `#` comments. */
export function parseProperties(text: string, separator = '='): Map<string, string> {
  const properties = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const at = line.indexOf(separator);
    if (at < 0) continue;
    properties.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return properties;
}

export function formatMetaProperties(properties: Record<string, string>, now = new Date()): string {
  const lines = ['#', `#${now.toUTCString()}`];
  for (const [key, value] of Object.entries(properties)) lines.push(`${key}=${value}`);
  return `${lines.join('\n')}\n`;
}
