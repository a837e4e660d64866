/** A client process for the ensemble test: creates /owned as an ephemeral, says so, then idles (pinging) until killed. */
import { CoordinatorClient } from '@kafkaesque/coordinator';

const [connectString, sessionTimeoutMs] = process.argv.slice(2);
const client = new CoordinatorClient({ connectString, sessionTimeoutMs: Number(sessionTimeoutMs) });
await client.connect();
await client.create('/owned', null, { mode: 'ephemeral' });
process.stdout.write('ready /owned\n');
setInterval(() => {}, 1000);
