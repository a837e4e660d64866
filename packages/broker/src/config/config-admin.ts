/**
 * DescribeConfigs / AlterConfigs / IncrementalAlterConfigs for topics and brokers: what the
 * three handlers share. Topic overrides and dynamic broker settings live in the metadata store;
 * static broker settings come from server.properties / CLI flags.
 */
import { ErrorCode } from '@kafkaesque/protocol';
import type { BrokerServices } from '../handlers/types.ts';
import { topicNameError } from '../topics/topic-admin.ts';
import { BROKER_CONFIG_BY_NAME, type ResolvedConfig } from './broker-config.ts';
import { ConfigError, ConfigResourceType, ConfigSource, ConfigType, validateConfigValue } from './config-types.ts';
import { TOPIC_CONFIG_BY_NAME, TOPIC_CONFIGS } from './topic-config.ts';

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
  configType: number;
  documentation: string | null;
}

export interface ResourceOutcome<T> {
  errorCode: number;
  errorMessage: string | null;
  value?: T;
}

const failure = <T>(errorCode: number, errorMessage: string): ResourceOutcome<T> => ({ errorCode, errorMessage });

export interface DescribeOptions {
  keys: string[] | null;
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

function described(
  resolved: ResolvedConfig,
  type: number,
  documentation: string,
  readOnly: boolean,
  options: DescribeOptions,
): DescribedConfig {
  return {
    name: resolved.name,
    value: resolved.value,
    readOnly,
    isDefault: resolved.source === ConfigSource.default,
    configSource: resolved.source,
    isSensitive: false,
    synonyms: options.includeSynonyms ? resolved.synonyms : [],
    configType: type,
    documentation: options.includeDocumentation ? documentation : null,
  };
}

/** The broker id a BROKER resource names: its id, or null for the cluster default (""). */
function brokerTarget(services: BrokerServices, name: string): ResourceOutcome<number | null> {
  if (name === '') return { errorCode: ErrorCode.NONE, errorMessage: null, value: null };
  if (!/^\d+$/.test(name)) return failure(ErrorCode.INVALID_REQUEST, `Invalid broker id ${name}`);
  if (Number(name) !== services.brokerId) return failure(ErrorCode.INVALID_REQUEST, `This is broker ${services.brokerId}, not broker ${name}`);
  return { errorCode: ErrorCode.NONE, errorMessage: null, value: Number(name) };
}

export function describeResource(services: BrokerServices, resourceType: number, resourceName: string, options: DescribeOptions): ResourceOutcome<DescribedConfig[]> {
  const wanted = (name: string): boolean => options.keys === null || options.keys.includes(name);
  if (resourceType === ConfigResourceType.topic) {
    const nameError = topicNameError(resourceName);
    if (nameError !== null) return failure(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
    const topic = services.metadata.topic(resourceName);
    if (topic === undefined) return failure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${resourceName}' does not exist.`);
    const configs = TOPIC_CONFIGS.filter((definition) => wanted(definition.name)).map((definition) =>
      described(services.config.resolveTopic(definition, topic.configs), definition.type, definition.documentation, false, options),
    );
    return { errorCode: ErrorCode.NONE, errorMessage: null, value: configs };
  }
  if (resourceType === ConfigResourceType.broker) {
    const target = brokerTarget(services, resourceName);
    if (target.errorCode !== ErrorCode.NONE) return failure(target.errorCode, target.errorMessage ?? '');
    if (target.value === null) {
      // The cluster-wide default resource lists only what was set dynamically for it.
      const values = services.metadata.brokerConfigs(null);
      const configs = Object.entries(values).filter(([name]) => wanted(name)).map(([name, value]) => {
        const definition = BROKER_CONFIG_BY_NAME.get(name);
        const resolved: ResolvedConfig = { name, value, source: ConfigSource.dynamicDefaultBroker, synonyms: [{ name, value, source: ConfigSource.dynamicDefaultBroker }] };
        return described(resolved, definition?.type ?? ConfigType.string, definition?.documentation ?? '', false, options);
      });
      return { errorCode: ErrorCode.NONE, errorMessage: null, value: configs };
    }
    const configs = services.config.names().filter(wanted).sort().map((name) => {
      const definition = BROKER_CONFIG_BY_NAME.get(name);
      return described(services.config.resolve(name), definition?.type ?? ConfigType.string, definition?.documentation ?? '', !(definition?.dynamic ?? false), options);
    });
    return { errorCode: ErrorCode.NONE, errorMessage: null, value: configs };
  }
  if (resourceType === ConfigResourceType.brokerLogger) {
    const target = brokerTarget(services, resourceName);
    if (target.errorCode !== ErrorCode.NONE) return failure(target.errorCode, target.errorMessage ?? '');
    return { errorCode: ErrorCode.NONE, errorMessage: null, value: [] };
  }
  return failure(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}`);
}

/** IncrementalAlterConfigs operations. */
export const AlterOperation = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export interface ConfigChange {
  name: string;
  /** set / delete / append / subtract; AlterConfigs is a full replacement (see alterResource). */
  operation: number;
  value: string | null;
}

function applyChanges(current: Record<string, string>, changes: ConfigChange[], isList: (name: string) => boolean, defaultOf: (name: string) => string | null): Record<string, string> {
  const next = { ...current };
  for (const change of changes) {
    switch (change.operation) {
      case AlterOperation.set:
        if (change.value === null) throw new ConfigError(`Null value not supported for ${change.name}`);
        next[change.name] = change.value;
        break;
      case AlterOperation.delete:
        delete next[change.name];
        break;
      case AlterOperation.append:
      case AlterOperation.subtract: {
        if (!isList(change.name)) throw new ConfigError(`Config ${change.name} is not a list: APPEND/SUBTRACT are not allowed`, ErrorCode.INVALID_CONFIG);
        const existing = (next[change.name] ?? defaultOf(change.name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
        const items = (change.value ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
        const result = change.operation === AlterOperation.append
          ? [...existing, ...items.filter((item) => !existing.includes(item))]
          : existing.filter((item) => !items.includes(item));
        next[change.name] = result.join(',');
        break;
      }
      default:
        throw new ConfigError(`Unknown config operation ${change.operation}`, ErrorCode.INVALID_REQUEST);
    }
  }
  return next;
}

/**
 * Alters one resource. `replace` (AlterConfigs) makes `changes` the whole set of overrides;
 * otherwise the changes are applied to the current overrides (IncrementalAlterConfigs).
 */
export async function alterResource(
  services: BrokerServices,
  resourceType: number,
  resourceName: string,
  changes: ConfigChange[],
  replace: boolean,
  validateOnly: boolean,
): Promise<ResourceOutcome<void>> {
  const names = changes.map((change) => change.name);
  if (new Set(names).size !== names.length) return failure(ErrorCode.INVALID_REQUEST, 'Duplicate config keys in one resource');
  try {
    if (resourceType === ConfigResourceType.topic) {
      const topic = services.metadata.topic(resourceName);
      if (topic === undefined) return failure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${resourceName}' does not exist.`);
      const next = applyChanges(replace ? {} : topic.configs, changes,
        (name) => TOPIC_CONFIG_BY_NAME.get(name)?.type === ConfigType.list,
        (name) => services.config.topicValue(name, topic.configs));
      for (const [name, value] of Object.entries(next)) {
        const definition = TOPIC_CONFIG_BY_NAME.get(name);
        if (definition === undefined) throw new ConfigError(`Unknown topic config name: ${name}`);
        validateConfigValue(name, definition.type, value, definition.range);
      }
      if (!validateOnly) await services.metadata.setTopicConfigs(resourceName, next);
      return { errorCode: ErrorCode.NONE, errorMessage: null };
    }
    if (resourceType === ConfigResourceType.broker) {
      const target = brokerTarget(services, resourceName);
      if (target.errorCode !== ErrorCode.NONE) return failure(target.errorCode, target.errorMessage ?? '');
      const brokerId = target.value ?? null;
      const next = applyChanges(replace ? {} : services.metadata.brokerConfigs(brokerId), changes,
        (name) => BROKER_CONFIG_BY_NAME.get(name)?.type === ConfigType.list,
        (name) => services.config.get(name));
      for (const [name, value] of Object.entries(next)) {
        const definition = BROKER_CONFIG_BY_NAME.get(name);
        if (definition === undefined || !definition.dynamic) {
          throw new ConfigError(`Cannot update config ${name} dynamically`, ErrorCode.INVALID_REQUEST);
        }
        validateConfigValue(name, definition.type, value, definition.range);
      }
      if (!validateOnly) await services.metadata.setBrokerConfigs(brokerId, next);
      return { errorCode: ErrorCode.NONE, errorMessage: null };
    }
    if (resourceType === ConfigResourceType.brokerLogger) {
      return failure(ErrorCode.INVALID_REQUEST, 'Broker loggers cannot be altered here');
    }
    return failure(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}`);
  } catch (error) {
    if (error instanceof ConfigError) return failure(error.code, error.message);
    if (error instanceof Error && 'code' in error && typeof error.code === 'number') return failure(error.code, error.message);
    throw error;
  }
}
