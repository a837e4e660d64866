/**
 * Hands out producer ids for InitProducerId. Ids come from the metadata store in blocks (as
 * Kafka's brokers take blocks of 1000 from ZooKeeper), so most requests need no durable write
 * and no id is ever given twice, even after a restart (the unused rest of a block is skipped).
 */
import type { MetadataStore } from '../metadata/store.ts';

export const PRODUCER_ID_BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private readonly metadata: MetadataStore;
  private next = 0n;
  private end = 0n;
  private refill: Promise<void> | null = null;

  constructor(metadata: MetadataStore) {
    this.metadata = metadata;
  }

  async nextId(): Promise<bigint> {
    while (this.next >= this.end) {
      this.refill ??= this.metadata.allocateProducerIds(PRODUCER_ID_BLOCK_SIZE).then(
        (first) => {
          this.next = first;
          this.end = first + BigInt(PRODUCER_ID_BLOCK_SIZE);
          this.refill = null;
        },
        (error: unknown) => {
          this.refill = null;
          throw error;
        },
      );
      await this.refill;
    }
    return this.next++;
  }
}
