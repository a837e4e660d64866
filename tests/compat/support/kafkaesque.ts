// The kafkaesque side of every compat suite: a cluster from @kafkaesque/broker's startCluster,
// once that fixture exists (the broker is being built alongside the lab).
export interface Cluster { bootstrap: string; close(): Promise<void> }
export type StartCluster = (options: { brokers: number; config?: Record<string, string> }) => Promise<Cluster>;

/** startCluster from @kafkaesque/broker, or the reason it is not usable yet. */
export async function loadStartCluster(): Promise<{ startCluster: StartCluster } | { missing: string }> {
  try {
    const broker = (await import('@kafkaesque/broker')) as Record<string, unknown>;
    if (typeof broker.startCluster === 'function') return { startCluster: broker.startCluster as StartCluster };
    return { missing: '@kafkaesque/broker does not export startCluster yet' };
  } catch (error) {
    return { missing: `@kafkaesque/broker cannot be imported: ${(error as Error).message}` };
  }
}
