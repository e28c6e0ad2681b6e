import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateLoad } from '../../bench/load/nodeGenerator.ts';
import { parseWrkOutput, runLoad, wrkAvailable } from '../../bench/load/run.ts';
import type { LoadSpec } from '../../bench/load/types.ts';
import { startBenchSimulator, type BenchSimulator } from '../../bench/simulator/server.ts';

/** The load generators against the real simulator: counts, error detection and latency shape. */
describe('load generators', () => {
  let sim: BenchSimulator;
  const body = (stream: boolean) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...(stream ? { stream: true } : {}) });
  const spec = (over: Partial<LoadSpec> = {}): LoadSpec => ({
    url: `${sim.url}/v1/chat/completions`,
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: body(false),
    connections: 4,
    durationMs: 300,
    mode: 'full',
    ...over,
  });
  const simCount = async () => (await (await fetch(`${sim.url}/_bench/stats`)).json() as { completions: number; streams: number });

  beforeAll(async () => { sim = await startBenchSimulator({ settings: { chunks: 4, chunkDelayMs: 1 } }); });
  afterAll(async () => { await sim.close(); });

  it('node generator: every request counted, as many as the server answered, percentiles ordered', async () => {
    const before = await simCount();
    const r = await generateLoad(spec());
    const after = await simCount();
    expect(r.tool).toBe('node');
    expect(r.errors).toBe(0);
    expect(r.requests).toBeGreaterThan(0);
    expect(after.completions - before.completions).toBe(r.requests);
    expect(r.latency.count).toBe(r.requests);
    expect(r.latency.p50).toBeGreaterThan(0);
    expect(r.latency.p50).toBeLessThanOrEqual(r.latency.p90);
    expect(r.latency.p90).toBeLessThanOrEqual(r.latency.p99);
    expect(r.latency.p99).toBeLessThanOrEqual(r.latency.max);
    expect(r.ttfb).toBeUndefined();
  });

  it('node generator, stream mode: time to first byte before the end, complete streams only', async () => {
    const r = await generateLoad(spec({ body: body(true), mode: 'stream', expectInTail: 'data: [DONE]', connections: 2 }));
    expect(r.errors).toBe(0);
    expect(r.ttfb!.count).toBe(r.requests);
    expect(r.ttfb!.p50).toBeLessThan(r.latency.p50);
  });

  it('counts a stream without the expected ending as an error', async () => {
    const r = await generateLoad(spec({ body: body(true), mode: 'stream', expectInTail: '"done":true', connections: 1 }));
    expect(r.requests).toBeGreaterThan(0);
    expect(r.errors).toBe(r.requests);
    expect(r.non2xx).toBe(0);
  });

  it('counts non-2xx answers as errors', async () => {
    const r = await generateLoad(spec({ headers: { 'content-type': 'application/json' }, connections: 1 }));
    expect(r.requests).toBeGreaterThan(0);
    expect(r.non2xx).toBe(r.requests);
    expect(r.errors).toBe(r.requests);
  });

  it('refuses targets off the loopback address and unbounded runs', async () => {
    await expect(generateLoad(spec({ url: 'http://10.0.0.1:80/' }))).rejects.toThrow(/127\.0\.0\.1/);
    await expect(generateLoad(spec({ connections: 0 }))).rejects.toThrow(/connections/);
    await expect(generateLoad(spec({ durationMs: 10 * 60_000 }))).rejects.toThrow(/durationMs/);
  });

  it('reads wrk\'s summary line (microseconds) into milliseconds, status errors as non-2xx', () => {
    const r = parseWrkOutput('Running 1s test\nBENCH_RESULT {"requests":2000,"duration_us":1000000,"errors":{"connect":0,"read":1,"write":0,"status":3,"timeout":0},"latency_us":{"min":50,"mean":120.5,"max":900,"p50":110,"p90":150,"p99":400}}\n');
    expect(r).toMatchObject({ tool: 'wrk', requests: 2000, errors: 4, non2xx: 3, rps: 2000, latency: { p50: 0.11, p90: 0.15, p99: 0.4, max: 0.9 } });
    expect(() => parseWrkOutput('wrk: connection refused')).toThrow(/no summary/);
  });

  // wrk is a Debian package the harness falls back from; where it is installed, run it for real.
  (wrkAvailable() ? it : it.skip)('wrk with the Lua script posts the body and headers (wrk installed)', async () => {
    const before = await simCount();
    const r = await runLoad(spec({ durationMs: 1_000, connections: 2 }), 'wrk');
    const after = await simCount();
    expect(r.tool).toBe('wrk');
    expect(r.errors).toBe(0);
    expect(r.requests).toBeGreaterThan(0);
    // wrk abandons the requests in flight when time is up; the server may have answered them.
    expect(after.completions - before.completions).toBeGreaterThanOrEqual(r.requests);
    expect(after.completions - before.completions).toBeLessThanOrEqual(r.requests + 2);
  });

  it('the node generator also runs as a process of its own', async () => {
    const r = await runLoad(spec({ mode: 'stream', body: body(true), expectInTail: 'data: [DONE]', connections: 1 }), 'wrk');
    expect(r.tool).toBe('node');
    expect(r.errors).toBe(0);
    expect(r.requests).toBeGreaterThan(0);
  });
});
