// Faults between clients and a broker (clientProxies): a cut client link refuses clients while
// replication to and from that broker goes on; a slowed one still serves; healing restores it.
import { startCluster, type Cluster } from '@kafkaesque/broker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../broker/support/raw-client.ts';
import { produceTo, waitFor } from './support/helpers.ts';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, clientProxies: true, config: { 'replica.lag.time.max.ms': '1000' } });
});

afterAll(async () => {
  await cluster?.close();
});

const address = (id: number) => {
  const broker = cluster.brokers.find((entry) => entry.id === id)!;
  return `${broker.host}:${broker.port}`;
};

describe('client link faults', () => {
  it('cuts, slows and heals the clients of one broker without touching replication', async () => {
    const client = await RawClient.connect(cluster.bootstrap);
    const body = await client.request(19, 5, { topics: [{ name: 'clients', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    client.close();
    expect(body.topics[0].errorCode).toBe(0);
    await waitFor(() => cluster.metadata.topic('clients')?.partitions[0].isr.length === 3, 'in sync');
    const leader = cluster.metadata.topic('clients')!.partitions[0].leader;
    expect((await produceTo(address(leader), 'clients', 0, ['a'], -1)).errorCode).toBe(0);

    cluster.cutClients!(leader);
    expect((await produceTo(address(leader), 'clients', 0, ['refused'], -1, 1000)).errorCode).toBe(-1);
    // Well past replica.lag.time.max.ms: the followers, fetching directly, stay in the ISR.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(cluster.metadata.topic('clients')!.partitions[0].isr.length).toBe(3);

    cluster.healClients!(leader);
    cluster.slowClients!(leader, 100);
    expect((await produceTo(address(leader), 'clients', 0, ['slow'], -1)).errorCode).toBe(0);
    cluster.healClients!(leader);
    const done = await produceTo(address(leader), 'clients', 0, ['b'], -1);
    expect(done).toEqual({ errorCode: 0, baseOffset: 2 });
  });
});
