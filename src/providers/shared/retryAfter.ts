/** Upper bound on any server-requested wait we pass on; beyond this the value is not a backoff hint. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * `retry-after` as milliseconds: delta-seconds (decimals tolerated) or an HTTP-date. `retry-after-ms`
 * (sent by OpenAI and Anthropic) wins when present. Unparseable or absurd values give undefined.
 */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return clamp(n);
  }
  return parseRetryAfter(headers.get('retry-after'), now);
}

export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return clamp(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return clamp(at - now);
}

/** A protobuf Duration in JSON form ("17s", "1.5s", "0.250s"), as Gemini's RetryInfo.retryDelay. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m ? clamp(Number(m[1]) * 1000) : undefined;
}

function clamp(ms: number): number | undefined {
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS);
}
