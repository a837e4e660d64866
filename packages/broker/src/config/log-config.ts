/** Maps resolved topic settings onto the log's configuration object. */
import type { LogConfig } from '../log/api.ts';
import type { BrokerConfig } from './broker-config.ts';
import { TOPIC_CONFIGS } from './topic-config.ts';

/** The log configuration of a topic with `overrides`, every field resolved through the broker. */
export function logConfigFor(config: BrokerConfig, overrides: Readonly<Record<string, string>>): Partial<LogConfig> {
  const result: Partial<LogConfig> = {};
  for (const definition of TOPIC_CONFIGS) {
    if (definition.applyToLog === undefined) continue;
    const value = config.resolveTopic(definition, overrides).value;
    if (value !== null) definition.applyToLog(value, result);
  }
  return result;
}
