/** Shared helpers for the client's tests against a kafkaesque cluster. */
import { startCluster } from '@kafkaesque/broker';
import { Admin, Consumer, Producer, type ConsumerOptions, type ProducerOptions } from '@kafkaesque/client';

export type TestCluster = Awaited<ReturnType<typeof startCluster>>;

export class Harness {
  cluster!: TestCluster;
  private readonly closers: (() => Promise<void>)[] = [];

  async start(brokers = 1, config: Record<string, string> = {}): Promise<void> {
    // Kafka's 3 s initial rebalance delay only slows tests down
    this.cluster = await startCluster({ brokers, config: { 'group.initial.rebalance.delay.ms': '0', ...config } });
  }

  admin(): Admin {
    const admin = new Admin({ bootstrapServers: this.cluster.bootstrap });
    this.closers.push(() => admin.close());
    return admin;
  }

  producer<K = unknown, V = unknown>(options: Partial<ProducerOptions<K, V>> = {}): Producer<K, V> {
    const producer = new Producer<K, V>({ bootstrapServers: this.cluster.bootstrap, ...options });
    this.closers.push(() => producer.close());
    return producer;
  }

  consumer<K = Buffer | null, V = Buffer | null>(options: Partial<ConsumerOptions<K, V>> = {}): Consumer<K, V> {
    const consumer = new Consumer<K, V>({ bootstrapServers: this.cluster.bootstrap, fetchMaxWaitMs: 50, autoOffsetReset: 'earliest', ...options });
    this.closers.push(() => consumer.close());
    return consumer;
  }

  async stop(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => {});
    await this.cluster?.close();
  }
}

export async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) {
    out.push(item);
    if (out.length >= count) break;
  }
  return out;
}

/** Waits until `predicate` holds, polling; fails with `what` after timeoutMs. */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
