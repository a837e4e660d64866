/**
 * Entry point of one coordinator member in its own process (startCoordinator with processes:
 * true): argv[2] is the member's options as JSON. Prints one line once listening; exits 0 on
 * SIGINT/SIGTERM, and when its stdin (a pipe from the parent) ends.
 */
import { CoordinatorMember, type MemberOptions } from './server/member.ts';

const raw = JSON.parse(process.argv[2]) as Omit<MemberOptions, 'peers'> & { peers: Array<[number, { host: string; port: number }]> };
const member = new CoordinatorMember({ ...raw, peers: new Map(raw.peers) });
await member.start();
process.stdout.write(`coordinator ${raw.id} listening ${raw.host}:${member.clientPort} pid=${process.pid}\n`);
const stop = (): void => {
  member.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// the parent holds our stdin open; its end means the parent is gone
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
