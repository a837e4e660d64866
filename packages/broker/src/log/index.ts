export type * from './api.ts';
export type { LogFs, LogFile, OpenMode } from './fs.ts';
export { nodeLogFs } from './fs.ts';
export { LogError, LogErrorCode, LogDirOfflineError } from './errors.ts';
export { openLogManager } from './log-manager.ts';
export { DEFAULT_LOG_CONFIG, LOG_CONFIG_KEYS, logConfigFromProperties, logConfigToProperties, resolveLogConfig } from './config.ts';
export { FaultInjectingFs, type FaultRule, type FaultKind, type FaultOperation } from './fault-fs.ts';
