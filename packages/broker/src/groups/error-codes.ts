/**
 * Error codes and the error type of the group coordinator. `GroupError` is the generated Kafka
 * error table (ErrorCode), under a name that reads well at the coordinator's call sites.
 */
import { ErrorCode, errorInfo } from '@kafkaesque/protocol';

export const GroupError = ErrorCode;
export type GroupErrorCode = (typeof GroupError)[keyof typeof GroupError];

/** A Kafka error raised inside the coordinator; handlers turn it into a response error code. */
export class GroupCoordinatorError extends Error {
  readonly code: number;
  readonly retriable: boolean;
  constructor(code: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GroupCoordinatorError';
    this.code = code;
    this.retriable = errorInfo(code).retriable;
  }
}

/** The error code carried by `error`, or UNKNOWN_SERVER_ERROR for anything else. */
export function errorCodeOf(error: unknown): number {
  if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'number') {
    return (error as { code: number }).code;
  }
  return GroupError.UNKNOWN_SERVER_ERROR;
}
