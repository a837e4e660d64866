/**
 * A client process for the ensemble test: creates /owned as an ephemeral, says so, then idles
 * (pinging) until killed. On "touch" (a stdin line) it makes a request and answers "touched"
 * once it is answered, so the test knows the server heard from the session after it asked. On a loaded machine the ensemble it connects to may still be settling
 * (a leader change drops clients), so the create is retried through connection losses; a failure
 * is written to stderr, which the test puts into its error message.
 */
import { CoordinatorClient } from '@kafkaesque/coordinator';
import { createRetrying, retrying } from './helpers.ts';

const [connectString, sessionTimeoutMs] = process.argv.slice(2);
// a whole session timeout per connection attempt (not a share of it): a member slowed by load
// may take seconds to answer the handshake; the client moves on to the next member after it
const client = new CoordinatorClient({ connectString, sessionTimeoutMs: Number(sessionTimeoutMs), connectTimeoutMs: Number(sessionTimeoutMs) });
try {
  await client.connect();
  await createRetrying(client, '/owned', null, { mode: 'ephemeral' });
} catch (error) {
  process.stderr.write(`ephemeral owner failed (session 0x${client.sessionId.toString(16)}, state ${client.state}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
process.stdout.write('ready /owned\n');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  input += chunk;
  for (let newline = input.indexOf('\n'); newline >= 0; newline = input.indexOf('\n')) {
    const command = input.slice(0, newline);
    input = input.slice(newline + 1);
    if (command === 'touch') {
      retrying(() => client.exists('/owned')).then(
        (stat) => process.stdout.write(stat === null ? 'touched, /owned missing\n' : 'touched\n'),
        (error: unknown) => process.stdout.write(`touch failed: ${String(error)}\n`),
      );
    }
  }
});
