// Admin security APIs of the kafkaesque client against real Kafka 4.1: ACLs (with the standard
// authorizer; the test's anonymous principal is a super user) and SCRAM users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, KafkaResponseError } from '@kafkaesque/client';
import { startRealKafka, type RealKafka } from '../support/real-kafka.ts';

describe('kafkaesque client admin security APIs against real Kafka 4.1', () => {
  let kafka: RealKafka;
  let admin: Admin;
  beforeAll(async () => {
    kafka = await startRealKafka({
      version: '4.1',
      config: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': 'User:ANONYMOUS' },
    });
    admin = new Admin({ bootstrapServers: kafka.bootstrap });
  });
  afterAll(async () => {
    await admin?.close();
    await kafka?.close();
  });

  it('creates, describes and deletes ACLs', async () => {
    await admin.createAcls([
      { resourceType: 'topic', resourceName: 'orders', principal: 'User:alice', operation: 'read', permission: 'allow' },
      { resourceType: 'group', resourceName: 'billing-', patternType: 'prefixed', principal: 'User:alice', operation: 'read', permission: 'allow' },
      { resourceType: 'topic', resourceName: 'orders', principal: 'User:mallory', host: '10.0.0.1', operation: 'write', permission: 'deny' },
    ]);
    let acls: Awaited<ReturnType<Admin['describeAcls']>> = [];
    // KRaft applies ACLs through the metadata log: visible a moment later
    for (let i = 0; i < 100 && acls.length < 3; i++) {
      acls = await admin.describeAcls({ principal: null });
      if (acls.length < 3) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(acls).toHaveLength(3);
    expect(acls).toContainEqual({ resourceType: 'group', resourceName: 'billing-', patternType: 'prefixed', principal: 'User:alice', host: '*', operation: 'read', permission: 'allow' });
    const onlyDeny = await admin.describeAcls({ permission: 'deny' });
    expect(onlyDeny).toEqual([{ resourceType: 'topic', resourceName: 'orders', patternType: 'literal', principal: 'User:mallory', host: '10.0.0.1', operation: 'write', permission: 'deny' }]);
    const deleted = await admin.deleteAcls([{ principal: 'User:alice' }]);
    expect(deleted).toHaveLength(2);
    for (let i = 0; i < 100 && acls.length !== 1; i++) {
      acls = await admin.describeAcls();
      if (acls.length !== 1) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(acls.map((acl) => acl.principal)).toEqual(['User:mallory']);
  });

  it('creates, describes and deletes SCRAM users', async () => {
    // Kafka alters one credential per user and request
    await admin.alterUserScramCredentials({ upsertions: [{ user: 'alice', mechanism: 'SCRAM-SHA-256', password: 'alice-secret' }] });
    await admin.alterUserScramCredentials({ upsertions: [{ user: 'alice', mechanism: 'SCRAM-SHA-512', password: 'alice-secret', iterations: 8192 }] });
    const twice = await admin
      .alterUserScramCredentials({ deletions: [{ user: 'alice', mechanism: 'SCRAM-SHA-256' }, { user: 'alice', mechanism: 'SCRAM-SHA-512' }] })
      .catch((error: unknown) => error);
    expect((twice as KafkaResponseError).errorName).toBe('DUPLICATE_RESOURCE');
    let users: Awaited<ReturnType<Admin['describeUserScramCredentials']>> = [];
    for (let i = 0; i < 100 && (users[0]?.credentials.length ?? 0) < 2; i++) {
      users = await admin.describeUserScramCredentials(['alice']).catch(() => []);
      if ((users[0]?.credentials.length ?? 0) < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(users[0].credentials).toEqual(
      expect.arrayContaining([
        { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
        { mechanism: 'SCRAM-SHA-512', iterations: 8192 },
      ]),
    );
    await admin.alterUserScramCredentials({ deletions: [{ user: 'alice', mechanism: 'SCRAM-SHA-256' }] });
    await admin.alterUserScramCredentials({ deletions: [{ user: 'alice', mechanism: 'SCRAM-SHA-512' }] });
    let gone: unknown = null;
    for (let i = 0; i < 100 && gone === null; i++) {
      gone = await admin.describeUserScramCredentials(['alice']).then(() => null, (error: unknown) => error);
      if (gone === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(gone).toBeInstanceOf(KafkaResponseError);
    expect((gone as KafkaResponseError).errorName).toBe('RESOURCE_NOT_FOUND');
  });
});
