/**
 * Errors thrown by the log. Each carries a Kafka error code (numbers from Kafka's error table)
 * and whether a client may retry, so handlers can answer with the code as is.
 */
import { ErrorCode, errorInfo } from '@kafkaesque/protocol';

/** The Kafka error codes the log produces (a subset of protocol's generated ErrorCode). */
export const LogErrorCode = {
  NONE: ErrorCode.NONE,
  UNKNOWN_SERVER_ERROR: ErrorCode.UNKNOWN_SERVER_ERROR,
  OFFSET_OUT_OF_RANGE: ErrorCode.OFFSET_OUT_OF_RANGE,
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  UNKNOWN_TOPIC_OR_PARTITION: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  RECORD_LIST_TOO_LARGE: ErrorCode.RECORD_LIST_TOO_LARGE,
  INVALID_TIMESTAMP: ErrorCode.INVALID_TIMESTAMP,
  INVALID_CONFIG: ErrorCode.INVALID_CONFIG,
  INVALID_REQUEST: ErrorCode.INVALID_REQUEST,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  OUT_OF_ORDER_SEQUENCE_NUMBER: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  DUPLICATE_SEQUENCE_NUMBER: ErrorCode.DUPLICATE_SEQUENCE_NUMBER,
  INVALID_PRODUCER_EPOCH: ErrorCode.INVALID_PRODUCER_EPOCH,
  INVALID_TXN_STATE: ErrorCode.INVALID_TXN_STATE,
  TRANSACTION_COORDINATOR_FENCED: ErrorCode.TRANSACTION_COORDINATOR_FENCED,
  KAFKA_STORAGE_ERROR: ErrorCode.KAFKA_STORAGE_ERROR,
  LOG_DIR_NOT_FOUND: ErrorCode.LOG_DIR_NOT_FOUND,
  UNKNOWN_PRODUCER_ID: ErrorCode.UNKNOWN_PRODUCER_ID,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
} as const;

export class LogError extends Error {
  readonly code: number;
  readonly retriable: boolean;
  constructor(code: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogError';
    this.code = code;
    this.retriable = errorInfo(code).retriable;
  }
}

/** Thrown for every operation on a log whose dir went offline after an I/O error. */
export class LogDirOfflineError extends LogError {
  readonly logDir: string;
  constructor(logDir: string, cause: unknown) {
    super(
      LogErrorCode.KAFKA_STORAGE_ERROR,
      `log dir ${logDir} is offline after an I/O error: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
    this.name = 'LogDirOfflineError';
    this.logDir = logDir;
  }
}
