// Renders the README's compatibility table (client × feature → result) from the last run's
// results (.cache/results/*.json). Usage:
//   pnpm exec node tests/compat/support/compat-table.ts            # print markdown
//   pnpm exec node tests/compat/support/compat-table.ts --write tests/compat/README.md
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './paths.ts';
import { readResults, type FeatureResult, type SuiteResult } from './results.ts';

const startMarker = '<!-- compat-table:start -->';
const endMarker = '<!-- compat-table:end -->';
/** Preferred column order; features no client reported are left out, unknown ones appended. */
const featureOrder = [
  'admin.createTopics', 'admin.describeTopics', 'admin.describeConfigs', 'admin.alterConfigs', 'admin.deleteTopics',
  'produce.none', 'produce.gzip', 'produce.snappy', 'produce.lz4', 'produce.zstd', 'produce.idempotent',
  'consume.group', 'commit', 'rebalance', 'consume.group.consumerProtocol', 'rebalance.consumerProtocol',
];

function cell(result: FeatureResult | undefined, failure: string | undefined): string {
  if (failure !== undefined) return 'not run';
  if (result === undefined) return '–';
  if (result.ok) return 'pass';
  if (result.unsupported !== undefined) return 'n/a';
  return '**FAIL**';
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderTable(results: SuiteResult[]): string {
  if (results.length === 0) return '_No results: run `pnpm test:compat`._\n';
  const reported = new Set(results.flatMap((result) => Object.keys(result.features)));
  const features = [...featureOrder.filter((f) => reported.has(f)), ...[...reported].filter((f) => !featureOrder.includes(f)).sort()];
  const lines: string[] = [];
  const targets = [...new Set(results.map((result) => result.target))].sort();
  const finished = results.map((result) => result.finishedAt).sort().at(-1);
  lines.push(`Last run: ${finished}. pass = worked and was checked; **FAIL** = broken; n/a = the client has no such API;`,
    'not run = the client could not be installed or started (see notes); – = not reported.', '');
  for (const target of targets) {
    const rows = results.filter((result) => result.target === target).sort((a, b) => a.suite.localeCompare(b.suite));
    lines.push(`#### ${target}`, '');
    lines.push(`| client | version | ${features.join(' | ')} |`);
    lines.push(`|---|---|${features.map(() => '---').join('|')}|`);
    for (const row of rows) {
      lines.push(`| ${row.suite} | ${row.version ?? '?'} | ${features.map((f) => cell(row.features[f], row.failure)).join(' | ')} |`);
    }
    lines.push('');
    const notes = rows.flatMap((row) => [
      ...(row.failure ? [`- ${row.suite}: not run: ${escape(row.failure.split('\n')[0] ?? '')}`] : []),
      ...Object.entries(row.features).filter(([, r]) => !r.ok).map(([f, r]) =>
        `- ${row.suite} ${f}: ${r.unsupported !== undefined ? `n/a: ${escape(r.unsupported)}` : escape((r.error ?? 'failed').slice(0, 300))}`),
    ]);
    if (notes.length > 0) lines.push(...notes, '');
  }
  try {
    const status = JSON.parse(readFileSync(join(cacheDir, 'install-status.json'), 'utf8')) as Record<string, { state: string; detail: string }>;
    const failed = Object.entries(status).filter(([, s]) => s.state !== 'ok');
    lines.push(failed.length === 0 ? 'Every install step succeeded.' :
      `Install steps that failed: ${failed.map(([name, s]) => `${name} (${escape(s.detail)})`).join('; ')}.`, '');
  } catch { /* install.sh did not run */ }
  return lines.join('\n');
}

function main(): void {
  const table = renderTable(readResults());
  const writeIndex = process.argv.indexOf('--write');
  if (writeIndex === -1) {
    process.stdout.write(table);
    return;
  }
  const file = process.argv[writeIndex + 1];
  if (file === undefined) throw new Error('--write needs a file');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  if (start === -1 || end < start) throw new Error(`${file} has no ${startMarker} … ${endMarker} section`);
  writeFileSync(file, text.slice(0, start + startMarker.length) + '\n' + table + '\n' + text.slice(end));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
