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
const differentialStart = '<!-- differential:start -->';
const differentialEnd = '<!-- differential:end -->';
/** Unexplained differences listed in the README; the rest are in .cache/differential-*.json. */
const listedDifferencesMax = 60;

interface DifferenceRow { step: string; path: string; kafka: unknown; kafkaesque: unknown; reason?: string }
interface DifferentialReport { against: string; finishedAt: string; unexplained: DifferenceRow[]; explained: DifferenceRow[]; knownGaps?: DifferenceRow[]; failure?: string }

/** One bullet per reason, with where it applies. */
function reasonList(rows: DifferenceRow[]): string[] {
  const reasons = new Map<string, string[]>();
  for (const row of rows) reasons.set(row.reason ?? '', [...(reasons.get(row.reason ?? '') ?? []), `${row.step}: \`${row.path}\``]);
  return [...reasons].map(([reason, where]) => `- ${escape(reason)} (${where.join('; ')})`);
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return escape(text.length > 70 ? `${text.slice(0, 67)}…` : text);
}

export function renderDifferential(): string {
  let report: DifferentialReport;
  try {
    report = JSON.parse(readFileSync(join(cacheDir, 'differential-kafkaesque.json'), 'utf8')) as DifferentialReport;
  } catch {
    return '_No differential run against kafkaesque yet._\n';
  }
  const lines = [`Last run: ${report.finishedAt}, real Kafka 3.9 vs kafkaesque (1 broker).`, ''];
  if (report.failure !== undefined) lines.push(`The run failed: ${escape(report.failure)}`, '');
  lines.push(`##### Explained differences: design decisions (${report.explained.length})`, '');
  lines.push(...reasonList(report.explained));
  const knownGaps = report.knownGaps ?? [];
  lines.push('', `##### Known gaps: not implemented yet, each with its open issue (${knownGaps.length})`, '');
  lines.push(...reasonList(knownGaps));
  lines.push('', `##### Unexplained differences (${report.unexplained.length})`, '');
  // The same difference in many places (e.g. one wrong field in every config entry) is one row.
  const groups = new Map<string, { row: DifferenceRow; steps: Set<string>; count: number }>();
  for (const row of report.unexplained) {
    const generic = row.path.replace(/\[\d+\]/g, '[*]').replace(/\[(name|topic|index|partitionIndex|partition|key)=[^\]]*\]/g, '[*]');
    const key = `${generic}|${JSON.stringify(row.kafka)}|${JSON.stringify(row.kafkaesque)}`;
    const group = groups.get(key) ?? { row: { ...row, path: generic }, steps: new Set<string>(), count: 0 };
    group.steps.add(row.step);
    group.count += 1;
    groups.set(key, group);
  }
  if (groups.size > 0) {
    lines.push('| steps | field | Kafka | kafkaesque | times |', '|---|---|---|---|---|');
    for (const { row, steps, count } of [...groups.values()].slice(0, listedDifferencesMax)) {
      lines.push(`| ${escape([...steps].join('; '))} | \`${escape(row.path)}\` | ${short(row.kafka)} | ${short(row.kafkaesque)} | ${count} |`);
    }
    if (groups.size > listedDifferencesMax) {
      lines.push('', `…and ${groups.size - listedDifferencesMax} more kinds in tests/compat/.cache/differential-kafkaesque.json.`);
    }
  }
  return lines.join('\n') + '\n';
}

function replaceSection(text: string, start: string, end: string, body: string): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) throw new Error(`no ${start} … ${end} section`);
  return text.slice(0, from + start.length) + '\n' + body + '\n' + text.slice(to);
}
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
  let text = readFileSync(file, 'utf8');
  text = replaceSection(text, startMarker, endMarker, table);
  text = replaceSection(text, differentialStart, differentialEnd, renderDifferential());
  writeFileSync(file, text);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
