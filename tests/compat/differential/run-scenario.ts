// Runs the scenario against one broker and returns each step's normalized response.
import { WireConnection } from './wire.ts';
import { plain } from './diff.ts';
import { scenario, type BrokerContext } from './scenario.ts';

const retryForMs = 30_000;
const retryDelayMs = 200;

export interface StepOutcome { step: string; response?: unknown; error?: string }

export async function runScenario(bootstrap: string): Promise<StepOutcome[]> {
  const [host, portText] = (bootstrap.split(',')[0] ?? '').split(':');
  const connection = await WireConnection.open(host ?? '127.0.0.1', Number(portText));
  const context: BrokerContext = { producerId: -1n, memberId: '', generationId: -1, topicIds: new Map() };
  const outcomes: StepOutcome[] = [];
  try {
    for (const step of scenario) {
      try {
        await step.settle?.(connection, context);
        let response = await connection.send(step.apiKey, step.version, step.request(context));
        for (const deadline = Date.now() + retryForMs; step.retry?.(response) && Date.now() < deadline;) {
          await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
          response = await connection.send(step.apiKey, step.version, step.request(context));
        }
        step.capture?.(response, context);
        outcomes.push({ step: step.name, response: plain(step.normalize ? step.normalize(response, context) : response) });
      } catch (error) {
        outcomes.push({ step: step.name, error: `${(error as Error).name}: ${(error as Error).message}` });
      }
    }
  } finally {
    connection.close();
  }
  return outcomes;
}
