// Replica placement (topic-admin.assignReplicas): leaders spread round-robin over the brokers;
// with racks, every partition's replicas span as many racks as they can.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignReplicas } from '../../packages/broker/src/topics/topic-admin.ts';

describe('replica placement', () => {
  it('spreads leaders evenly and, with racks, replicas over distinct racks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 3 }),
        (brokerCount, rackCount, partitions, rfLess) => {
          const brokers = Array.from({ length: brokerCount }, (_, i) => i + 1);
          const replicationFactor = Math.max(1, brokerCount - rfLess);
          const racks = new Map(brokers.map((id) => [id, `r${id % rackCount}`]));
          for (const assignment of [assignReplicas(brokers, partitions, replicationFactor), assignReplicas(brokers, partitions, replicationFactor, 0, racks)]) {
            expect(assignment).toHaveLength(partitions);
            const leads = new Map<number, number>();
            for (const replicas of assignment) {
              expect(replicas).toHaveLength(replicationFactor);
              expect(new Set(replicas).size).toBe(replicationFactor);
              leads.set(replicas[0], (leads.get(replicas[0]) ?? 0) + 1);
            }
            const counts = brokers.map((id) => leads.get(id) ?? 0);
            expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
          }
          const distinctRacks = new Set(racks.values()).size;
          for (const replicas of assignReplicas(brokers, partitions, replicationFactor, 0, racks)) {
            expect(new Set(replicas.map((id) => racks.get(id))).size).toBe(Math.min(replicationFactor, distinctRacks));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
