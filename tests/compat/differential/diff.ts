// Field-by-field comparison of two decoded responses. Paths look like
// `topics[*].partitions[*].errorCode` (array indexes written as [*] for matching rules, and
// kept as numbers in the reported path).

export interface Difference {
  step: string;
  path: string;
  kafka: unknown;
  kafkaesque: unknown;
}

export interface Rule {
  /** Step name (exact) or '*' for every step. */
  step: string;
  /** Path pattern: [*] matches any index, a trailing '**' any sub-path. */
  path: string;
  reason: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** JSON-friendly form: bigint → string, Buffer → hex, unknownTaggedFields dropped. */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (key === 'unknownTaggedFields') continue;
      out[key] = plain(field);
    }
    return out;
  }
  return value;
}

/** Fields that identify an element of an array: such arrays are compared element by key
 *  (`configs[name=retention.ms]`), so one missing element is one difference, not a cascade. */
const elementKeys = ['apiKey', 'name', 'topic', 'key', 'partitionIndex', 'partition', 'index'] as const;

function keyOf(elements: unknown[]): string | undefined {
  return elementKeys.find((key) => elements.length > 0 && elements.every((element) => isPlainObject(element) && element[key] !== undefined) &&
    new Set(elements.map((element) => String((element as Record<string, unknown>)[key]))).size === elements.length);
}

export function compare(step: string, kafka: unknown, kafkaesque: unknown, path = ''): Difference[] {
  if (Array.isArray(kafka) && Array.isArray(kafkaesque)) {
    const key = keyOf([...kafka, ...kafkaesque].length > 0 ? kafka.length > 0 ? kafka : kafkaesque : []);
    if (key !== undefined && keyOf(kafkaesque.length > 0 ? kafkaesque : kafka) === key) {
      const byKey = (elements: unknown[]) => new Map(elements.map((element) => [String((element as Record<string, unknown>)[key]), element]));
      const mine = byKey(kafka);
      const theirs = byKey(kafkaesque);
      return [...new Set([...mine.keys(), ...theirs.keys()])].flatMap((id) =>
        compare(step, mine.get(id), theirs.get(id), `${path}[${key}=${id}]`));
    }
    const differences: Difference[] = [];
    if (kafka.length !== kafkaesque.length) {
      differences.push({ step, path: `${path}.length`, kafka: kafka.length, kafkaesque: kafkaesque.length });
    }
    for (let i = 0; i < Math.min(kafka.length, kafkaesque.length); i++) {
      differences.push(...compare(step, kafka[i], kafkaesque[i], `${path}[${i}]`));
    }
    return differences;
  }
  if (isPlainObject(kafka) && isPlainObject(kafkaesque)) {
    const keys = new Set([...Object.keys(kafka), ...Object.keys(kafkaesque)]);
    return [...keys].flatMap((key) => compare(step, kafka[key], kafkaesque[key], path === '' ? key : `${path}.${key}`));
  }
  if (kafka === undefined || kafkaesque === undefined) {
    return kafka === kafkaesque ? [] : [{ step, path, kafka: kafka ?? '(absent)', kafkaesque: kafkaesque ?? '(absent)' }];
  }
  return Object.is(kafka, kafkaesque) ? [] : [{ step, path, kafka, kafkaesque }];
}

/** A rule path matches with [*] for any index or key (`configs[*]`), or with the exact key
 *  (`configs[name=retention.ms]`); a leading `**.` matches any prefix, a trailing `**` any rest. */
function pathMatches(pattern: string, path: string): boolean {
  let body = pattern;
  let prefix = '^';
  let suffix = '(\\.length)?$';
  if (body.startsWith('**.')) { body = body.slice(3); prefix = '(^|\\.|\\])'; }
  if (body.endsWith('**')) { body = body.slice(0, -2); suffix = ''; }
  const source = body.split('[*]').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\[[^\\]]*\\]');
  return new RegExp(prefix + source + suffix).test(path);
}

export function matchRule(rules: readonly Rule[], difference: Difference): Rule | undefined {
  return rules.find((rule) => (rule.step === '*' || rule.step === difference.step) && pathMatches(rule.path, difference.path));
}
