import type { Percentiles } from '../stats.ts';

/** One closed-loop load run: `connections` clients, each sending its next request when the last ends. */
export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationMs: number;
  /** `stream`: also time the first body byte (TTFB); the total is the end of the stream. */
  mode: 'full' | 'stream';
  /** A response whose last kilobyte lacks this text counts as an error (checked by the node generator). */
  expectInTail?: string;
}

export interface LoadResult {
  tool: 'wrk' | 'node';
  requests: number;
  /** Connect/read/write/timeout failures plus non-2xx answers and malformed bodies. */
  errors: number;
  non2xx: number;
  durationS: number;
  rps: number;
  /** Request start to the last byte of the response. */
  latency: Percentiles;
  /** Request start to the first body byte (stream mode, node generator only). */
  ttfb?: Percentiles;
}

/** Bounds every run: no loop in the harness is open-ended. */
export const LOAD_LIMITS = {
  maxConnections: 1024,
  maxDurationMs: 120_000,
  maxSamples: 2_000_000,
} as const;

export function checkSpec(spec: LoadSpec): void {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(spec.url)) throw new Error(`load target must be http://127.0.0.1:<port>/..., got ${spec.url}`);
  if (!Number.isInteger(spec.connections) || spec.connections < 1 || spec.connections > LOAD_LIMITS.maxConnections) {
    throw new Error(`connections must be 1..${LOAD_LIMITS.maxConnections}`);
  }
  if (!(spec.durationMs >= 100 && spec.durationMs <= LOAD_LIMITS.maxDurationMs)) {
    throw new Error(`durationMs must be 100..${LOAD_LIMITS.maxDurationMs}`);
  }
}
