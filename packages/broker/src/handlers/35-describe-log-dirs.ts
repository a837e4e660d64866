// DescribeLogDirs (API 35), versions 0–4.
// Behaviour notes: every log dir of this broker with the partitions whose logs live there
// (size in bytes; offset_lag is how far the log end is behind the high watermark's owner — 0
// here, as there are no future / moving replicas). A topics list of null means every
// partition. An offline dir answers KAFKA_STORAGE_ERROR with no partitions. v4 adds the
// dir's total and usable bytes (from statfs).
import { statfsSync } from 'node:fs';
import { DescribeLogDirsRequest, DescribeLogDirsResponse, ErrorCode } from '@kafkaesque/protocol';
import { defineHandler } from './types.ts';

function diskBytes(path: string): { total: bigint; usable: bigint } {
  try {
    const stats = statfsSync(path);
    return { total: BigInt(stats.blocks) * BigInt(stats.bsize), usable: BigInt(stats.bavail) * BigInt(stats.bsize) };
  } catch {
    return { total: -1n, usable: -1n };
  }
}

export default defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  apiKey: 35,
  name: 'DescribeLogDirs',
  minVersion: 0,
  maxVersion: 4,
  request: DescribeLogDirsRequest,
  response: DescribeLogDirsResponse,
  handle(context, request) {
    const { logs } = context.services;
    const wanted = request.topics === null ? null : new Map(request.topics.map((topic) => [topic.topic, new Set(topic.partitions)]));
    const results = logs.logDirs.map((dir) => {
      const disk = context.apiVersion >= 4 ? diskBytes(dir.path) : { total: -1n, usable: -1n };
      if (!dir.online) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir: dir.path, topics: [], totalBytes: disk.total, usableBytes: disk.usable };
      const byTopic = new Map<string, DescribeLogDirsResponse['results'][number]['topics'][number]>();
      for (const log of logs.logs()) {
        if (log.logDir !== dir.path) continue;
        if (wanted !== null && !wanted.get(log.topic)?.has(log.partition)) continue;
        let topic = byTopic.get(log.topic);
        if (topic === undefined) byTopic.set(log.topic, (topic = { name: log.topic, partitions: [] }));
        topic.partitions.push({ partitionIndex: log.partition, partitionSize: BigInt(log.sizeBytes), offsetLag: 0n, isFutureKey: false });
      }
      return { errorCode: ErrorCode.NONE, logDir: dir.path, topics: [...byTopic.values()], totalBytes: disk.total, usableBytes: disk.usable };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
  },
  errorResponse(_context, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
});
