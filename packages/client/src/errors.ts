/**
 * Typed errors of the client. Every error Kafka reports travels as a KafkaResponseError that
 * carries Kafka's numeric code and name, whether a retry may succeed, and which request (API,
 * version, broker, topic/partition) it came from — so callers can branch on `code` or
 * `retriable` instead of parsing messages.
 */
import { errorInfo as protocolErrorInfo } from '@kafkaesque/protocol';

export interface RequestContext {
  /** Kafka API name, e.g. 'Produce'. */
  apiName: string;
  apiKey: number;
  apiVersion: number;
  /** host:port of the broker the request went to, when known. */
  broker?: string;
  topic?: string;
  partition?: number;
}

export class KafkaClientError extends Error {
  /** Kafka error code (-1 UNKNOWN_SERVER_ERROR for failures Kafka has no code for). */
  readonly code: number;
  readonly errorName: string;
  readonly retriable: boolean;
  readonly request: RequestContext | undefined;
  constructor(
    message: string,
    options: { code?: number; errorName?: string; retriable?: boolean; request?: RequestContext; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KafkaClientError';
    this.code = options.code ?? -1;
    this.errorName = options.errorName ?? 'UNKNOWN_SERVER_ERROR';
    this.retriable = options.retriable ?? false;
    this.request = options.request;
  }
}

/** An error code that a broker returned in a response. */
export class KafkaResponseError extends KafkaClientError {
  readonly errorMessage: string | null;
  constructor(code: number, request?: RequestContext, errorMessage: string | null = null) {
    const info = errorInfo(code);
    const where = request ? ` (${request.apiName} v${request.apiVersion}${describeTarget(request)})` : '';
    super(`${info.name}: ${errorMessage ?? info.message}${where}`, {
      code,
      errorName: info.name,
      retriable: info.retriable,
      request,
    });
    this.name = 'KafkaResponseError';
    this.errorMessage = errorMessage;
  }
}

/** The connection failed or closed; the request may or may not have reached the broker. */
export class KafkaConnectionError extends KafkaClientError {
  constructor(message: string, options: { request?: RequestContext; cause?: unknown; retriable?: boolean } = {}) {
    super(message, { code: -1, errorName: 'NETWORK_EXCEPTION', retriable: options.retriable ?? true, ...options });
    this.name = 'KafkaConnectionError';
  }
}

/** No response within the request timeout (Kafka's REQUEST_TIMED_OUT, retriable). */
export class KafkaTimeoutError extends KafkaClientError {
  constructor(message: string, request?: RequestContext) {
    super(message, { code: 7, errorName: 'REQUEST_TIMED_OUT', retriable: true, request });
    this.name = 'KafkaTimeoutError';
  }
}

/** Invalid use of the client API (bad option, closed client, unknown partition…). */
export class KafkaConfigError extends KafkaClientError {
  constructor(message: string) {
    super(message, { code: -1, errorName: 'INVALID_CONFIG', retriable: false });
    this.name = 'KafkaConfigError';
  }
}

/** SASL handshake or authentication failure. */
export class KafkaAuthenticationError extends KafkaClientError {
  constructor(message: string, code = 58, request?: RequestContext) {
    super(message, { code, errorName: errorInfo(code).name, retriable: false, request });
    this.name = 'KafkaAuthenticationError';
  }
}

/** Every retry failed; `cause` is the last error. */
export class KafkaRetriesExhaustedError extends KafkaClientError {
  readonly attempts: number;
  constructor(lastError: KafkaClientError, attempts: number) {
    super(`${lastError.message} (gave up after ${attempts} attempts)`, {
      code: lastError.code,
      errorName: lastError.errorName,
      retriable: false,
      request: lastError.request,
      cause: lastError,
    });
    this.name = 'KafkaRetriesExhaustedError';
    this.attempts = attempts;
  }
}

export interface ErrorInfo {
  code: number;
  name: string;
  retriable: boolean;
  message: string;
}

/** Kafka's name, retriability and description of an error code. */
export function errorInfo(code: number): ErrorInfo {
  return protocolErrorInfo(code);
}

/** Throws a KafkaResponseError unless `code` is 0. */
export function throwIfError(code: number, request?: RequestContext, errorMessage: string | null = null): void {
  if (code !== 0) throw new KafkaResponseError(code, request, errorMessage);
}

export function isRetriable(error: unknown): boolean {
  return error instanceof KafkaClientError && error.retriable;
}

function describeTarget(request: RequestContext): string {
  let text = request.broker ? ` to ${request.broker}` : '';
  if (request.topic !== undefined) text += ` ${request.topic}`;
  if (request.partition !== undefined) text += `-${request.partition}`;
  return text;
}
