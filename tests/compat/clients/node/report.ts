// Per-feature results of a Node client run, printed as the one JSON line the suites parse.
export interface Feature { ok: boolean; error?: string; unsupported?: string; detail?: unknown }

export const codecNames = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CodecName = (typeof codecNames)[number];
export const stepTimeoutMs = 60_000;

export class Report {
  readonly features: Record<string, Feature> = {};
  readonly client: string;
  readonly version: string;
  constructor(client: string, version: string) {
    this.client = client;
    this.version = version;
  }

  check(name: string, error: unknown, detail?: unknown): boolean {
    const feature: Feature = { ok: error === undefined || error === null };
    if (!feature.ok) feature.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (detail !== undefined) feature.detail = detail;
    this.features[name] = feature;
    process.stderr.write(`[${this.client}] ${name} ok=${feature.ok} ${feature.error ?? ''}\n`);
    return feature.ok;
  }

  async attempt(name: string, step: () => Promise<unknown>): Promise<boolean> {
    try {
      return this.check(name, undefined, (await step()) ?? undefined);
    } catch (error) {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      return this.check(name, error);
    }
  }

  unsupported(name: string, why: string): void {
    this.features[name] = { ok: false, unsupported: why };
  }

  print(): void {
    process.stdout.write(JSON.stringify({ client: this.client, version: this.version, features: this.features }) + '\n');
  }
}

export function payload(label: string, index: number): string {
  return `${label}-${index}-${'x'.repeat(200)}`;
}

/** Marks the produce features whose records were not consumed back; returns the count per feature. */
export function verifyConsumed(report: Report, expected: Map<string, string>, seen: Set<string>): Record<string, number> {
  const missing: Record<string, number> = {};
  for (const [value, feature] of expected) if (!seen.has(value)) missing[feature] = (missing[feature] ?? 0) + 1;
  for (const [feature, count] of Object.entries(missing)) report.check(feature, `${count} produced records not consumed back`);
  return missing;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = stepTimeoutMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
