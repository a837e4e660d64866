/**
 * Retries with exponential backoff and jitter, for retriable Kafka errors only. Non-retriable
 * errors surface at once; the last retriable one surfaces wrapped once attempts run out.
 */
import { KafkaClientError, KafkaRetriesExhaustedError, isRetriable } from './errors.ts';
import { channels } from './diagnostics.ts';

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
}

export const RETRY_DEFAULTS: RetryOptions = { retries: 8, retryBackoffMs: 100, retryBackoffMaxMs: 1000 };

export function backoffMs(attempt: number, options: RetryOptions): number {
  const exponential = Math.min(options.retryBackoffMaxMs, options.retryBackoffMs * 2 ** attempt);
  // ±20% jitter, as the Java client does, so clients that failed together do not retry together
  return Math.max(0, Math.round(exponential * (0.8 + Math.random() * 0.4)));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function withRetries<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
  onRetriableError?: (error: KafkaClientError, attempt: number) => void | Promise<void>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isRetriable(error)) throw error;
      const failure = error as KafkaClientError;
      if (attempt >= options.retries) throw new KafkaRetriesExhaustedError(failure, attempt + 1);
      channels.retry.publish({ error: failure, attempt });
      await onRetriableError?.(failure, attempt);
      await sleep(backoffMs(attempt, options));
    }
  }
}
