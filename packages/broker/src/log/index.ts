export type * from './api.ts';
export type { LogFs, LogFile, OpenMode } from './fs.ts';
export { nodeLogFs } from './fs.ts';
export { LogError, LogErrorCode, LogDirOfflineError } from './errors.ts';
