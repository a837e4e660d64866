/**
 * Errors thrown by the log. Each carries a Kafka error code (numbers from Kafka's error table)
 * and whether a client may retry, so handlers can answer with the code as is.
 */

/** The Kafka error codes the log produces (values from Kafka's error-codes table). */
export const LogErrorCode = {
  NONE: 0,
  UNKNOWN_SERVER_ERROR: -1,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  MESSAGE_TOO_LARGE: 10,
  RECORD_LIST_TOO_LARGE: 18,
  INVALID_TIMESTAMP: 32,
  INVALID_CONFIG: 40,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  TRANSACTION_COORDINATOR_FENCED: 52,
  KAFKA_STORAGE_ERROR: 56,
  LOG_DIR_NOT_FOUND: 57,
  UNKNOWN_PRODUCER_ID: 59,
  INVALID_RECORD: 87,
} as const;

const RETRIABLE_CODES: ReadonlySet<number> = new Set([
  LogErrorCode.CORRUPT_MESSAGE,
  LogErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  LogErrorCode.KAFKA_STORAGE_ERROR,
]);

export class LogError extends Error {
  readonly code: number;
  readonly retriable: boolean;
  constructor(code: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogError';
    this.code = code;
    this.retriable = RETRIABLE_CODES.has(code);
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
