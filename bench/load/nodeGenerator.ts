import { Agent, request } from 'node:http';
import { summarize } from '../stats.ts';
import { LOAD_LIMITS, checkSpec, type LoadResult, type LoadSpec } from './types.ts';

const REQUEST_TIMEOUT_MS = 30_000;
const TAIL_CHARS = 1024;

/**
 * A closed-loop HTTP load generator on node:http with a keep-alive agent and performance.now()
 * (sub-microsecond) timestamps. Meant to run in a process of its own (see nodeMain.ts) so its CPU
 * is not the measured process's. Requests still in flight at the deadline are waited for and counted.
 */
export async function generateLoad(spec: LoadSpec): Promise<LoadResult> {
  checkSpec(spec);
  const url = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections, maxFreeSockets: spec.connections });
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const headers: Record<string, string | number> = { ...spec.headers };
  if (body) headers['content-length'] = body.length;
  const stream = spec.mode === 'stream';

  const latencies = new Float64Array(LOAD_LIMITS.maxSamples);
  const ttfbs = stream ? new Float64Array(LOAD_LIMITS.maxSamples) : undefined;
  let samples = 0;
  let requests = 0;
  let errors = 0;
  let non2xx = 0;

  const once = () => new Promise<void>((resolve) => {
    const started = performance.now();
    let firstByte = -1;
    let tail = '';
    let settled = false;
    const fail = () => {
      if (settled) return;
      settled = true;
      errors++;
      resolve();
    };
    const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: spec.method, headers }, (res) => {
      res.on('data', (chunk: Buffer) => {
        if (firstByte < 0) firstByte = performance.now();
        if (spec.expectInTail !== undefined) tail = (tail + chunk.toString('latin1')).slice(-TAIL_CHARS);
      });
      res.on('error', fail);
      res.on('end', () => {
        if (settled) return;
        settled = true;
        const ended = performance.now();
        requests++;
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
        if (!ok) { non2xx++; errors++; }
        else if (spec.expectInTail !== undefined && !tail.includes(spec.expectInTail)) errors++;
        if (samples < latencies.length) {
          latencies[samples] = ended - started;
          if (ttfbs) ttfbs[samples] = (firstByte < 0 ? ended : firstByte) - started;
          samples++;
        }
        resolve();
      });
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end(body);
  });

  const startedAt = performance.now();
  const deadline = startedAt + spec.durationMs;
  const client = async () => {
    while (performance.now() < deadline) await once();
  };
  await Promise.all(Array.from({ length: spec.connections }, client));
  const durationS = (performance.now() - startedAt) / 1000;
  agent.destroy();
  return {
    tool: 'node',
    requests,
    errors,
    non2xx,
    durationS,
    rps: requests / durationS,
    latency: summarize(latencies.subarray(0, samples)),
    ...(ttfbs ? { ttfb: summarize(ttfbs.subarray(0, samples)) } : {}),
  };
}
