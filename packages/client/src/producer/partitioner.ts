/**
 * Partitioners. Keyed records go where the Java client puts them — `murmur2(key) & 0x7fffffff %
 * partitionCount` — so a key lands on the same partition whichever client wrote it. Keyless records
 * use the sticky partitioner (KIP-480): they stay on one partition until the batch for it is
 * full or sent, then move on, which fills batches instead of scattering small ones.
 */
import { javaDefaultPartition } from '@kafkaesque/protocol';

export interface PartitionerContext {
  topic: string;
  key: Buffer | null;
  partitionCount: number;
  /** Partitions that currently have a leader (the sticky choice prefers them). */
  availablePartitions: readonly number[];
}

/** A custom partitioner returns a partition in [0, partitionCount). */
export type Partitioner = (context: PartitionerContext) => number;

export function defaultKeyPartition(key: Buffer, partitionCount: number): number {
  return javaDefaultPartition(key, partitionCount);
}

/**
 * The default strategy: murmur2 for keys, a sticky choice per topic otherwise. The accumulator
 * calls `onNewBatch` when the sticky partition's batch filled up, so the next keyless record
 * picks another partition (never the same one again when another is available).
 */
export class StickyPartitioner {
  private readonly stickyByTopic = new Map<string, number>();
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  partition(context: PartitionerContext): number {
    if (context.key !== null) return defaultKeyPartition(context.key, context.partitionCount);
    const current = this.stickyByTopic.get(context.topic);
    if (current !== undefined && current < context.partitionCount) return current;
    return this.choose(context, -1);
  }

  /** The sticky partition of `topic` just completed a batch: move to another one. */
  onNewBatch(context: PartitionerContext, previousPartition: number): number {
    const current = this.stickyByTopic.get(context.topic);
    if (current !== undefined && current !== previousPartition) return current;
    return this.choose(context, previousPartition);
  }

  private choose(context: PartitionerContext, avoid: number): number {
    const candidates = context.availablePartitions.length > 0 ? context.availablePartitions : null;
    const count = candidates ? candidates.length : context.partitionCount;
    let chosen: number;
    if (count === 1) {
      chosen = candidates ? candidates[0] : 0;
    } else {
      do {
        const index = Math.floor(this.random() * count);
        chosen = candidates ? candidates[index] : index;
      } while (chosen === avoid);
    }
    this.stickyByTopic.set(context.topic, chosen);
    return chosen;
  }
}
