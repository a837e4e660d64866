/**
 * Typed errors of the coordinator client: `code` is ZooKeeper's KeeperException code and
 * `codeName` its name (NONODE, NODEEXISTS, BADVERSION, NOTEMPTY, SESSIONEXPIRED,
 * CONNECTIONLOSS, …); `retriable` says whether retrying the same call may succeed.
 */
import { ZkErrorCode, zkErrorName, type ZkMultiResult } from '@kafkaesque/protocol/jute';

const RETRIABLE = new Set<number>([ZkErrorCode.CONNECTIONLOSS, ZkErrorCode.OPERATIONTIMEOUT]);

export class CoordinatorError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly path: string | undefined;
  readonly retriable: boolean;
  /** For a failed multi: the per-op results (OK before the failure, the error, then RUNTIMEINCONSISTENCY). */
  readonly results: ZkMultiResult[] | undefined;

  constructor(code: number, path?: string, results?: ZkMultiResult[], options?: { cause?: unknown }) {
    super(`${zkErrorName(code)}${path === undefined ? '' : ` for ${path}`}`, options);
    this.name = 'CoordinatorError';
    this.code = code;
    this.codeName = zkErrorName(code);
    this.path = path;
    this.retriable = RETRIABLE.has(code);
    this.results = results;
  }
}

export function isCoordinatorError(error: unknown, codeName?: keyof typeof ZkErrorCode): error is CoordinatorError {
  return error instanceof CoordinatorError && (codeName === undefined || error.codeName === codeName);
}
