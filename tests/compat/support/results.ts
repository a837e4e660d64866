// Results of the last compat run, one JSON file per suite and target under .cache/results/,
// so parallel test workers never write the same file. compat-table.ts renders them.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './paths.ts';

export const resultsDir = join(cacheDir, 'results');

export interface FeatureResult {
  ok: boolean;
  error?: string;
  /** The client has no such feature (e.g. kcat has no admin API): shown as n/a, never a pass. */
  unsupported?: string;
  detail?: unknown;
}

export interface ClientReport {
  client: string;
  version: string;
  features: Record<string, FeatureResult>;
}

export interface SuiteResult {
  suite: string;
  /** 'real-kafka-3.9', 'real-kafka-4.1' or 'kafkaesque'. */
  target: string;
  client?: string;
  version?: string;
  features: Record<string, FeatureResult>;
  /** Set when the client could not be installed or run at all. */
  failure?: string;
  /** Features that failed on a first run of the client program, which was then run again. */
  retriedAfter?: string[];
  finishedAt: string;
}

function fileName(suite: string, target: string): string {
  return `${suite}--${target}.json`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export function recordResult(result: SuiteResult): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, fileName(result.suite, result.target)), JSON.stringify(result, null, 2) + '\n');
}

export function readResults(dir = resultsDir): SuiteResult[] {
  let files: string[];
  try { files = readdirSync(dir).filter((file) => file.endsWith('.json')); } catch { return []; }
  return files.map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as SuiteResult);
}
