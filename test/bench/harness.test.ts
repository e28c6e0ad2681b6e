import { describe, expect, it } from '@jest/globals';
import { parseArgs, UsageError } from '../../bench/args.ts';
import { summarizeScenario } from '../../bench/compare.ts';
import type { RunRecord } from '../../bench/measure.ts';
import { packageOf, summarizeProfile } from '../../bench/profile.ts';
import { renderMarkdown } from '../../bench/report.ts';
import { percentile, summarize } from '../../bench/stats.ts';
import { evaluateTargets } from '../../bench/targetsCheck.ts';

describe('percentiles', () => {
  it('nearest rank: the smallest sample with at least q of all samples at or below it', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.9)).toBe(90);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('summarize sorts its input and reports mean, max and count', () => {
    expect(summarize([3, 1, 2, 4])).toEqual({ p50: 2, p90: 4, p99: 4, max: 4, mean: 2.5, count: 4 });
  });
});

describe('bench arguments', () => {
  it('defaults to 8 s runs with wrk and every scenario; --quick is 2 s', () => {
    const d = parseArgs([]);
    expect(d).toMatchObject({ durationMs: 8_000, loadgen: 'wrk', peer: undefined, quick: false, profile: false });
    expect([...d.only]).toEqual(['chat', 'stream', 'lag', 'eventstore', 'longrun', 'cluster']);
    expect(d.name).toBe('latest');
    expect(parseArgs(['--quick'])).toMatchObject({ durationMs: 2_000, name: 'quick' });
    expect(parseArgs(['--name', 'pglite']).name).toBe('pglite');
    expect(() => parseArgs(['--name', '../x'])).toThrow(/--name/);
    expect(parseArgs(['--quick', '--duration', '5']).durationMs).toBe(5_000);
  });

  it('takes --peer portkey, --loadgen, --only in either spelling', () => {
    const a = parseArgs(['--peer', 'portkey', '--loadgen=node', '--only=chat,lag']);
    expect(a.peer).toBe('portkey');
    expect(a.loadgen).toBe('node');
    expect([...a.only]).toEqual(['chat', 'lag']);
  });

  it('takes the profiled load\'s connections and extra gateway node flags, checked', () => {
    expect(parseArgs([]).profileConnections).toBe(64);
    expect(parseArgs(['--profile', '--connections', '1']).profileConnections).toBe(1);
    expect(() => parseArgs(['--connections', '0'])).toThrow(/--connections/);
    expect(parseArgs(['--node-flags', '--max-semi-space-size=2 --max-old-space-size=128']).gatewayNodeFlags)
      .toEqual(['--max-semi-space-size=2', '--max-old-space-size=128']);
    expect(() => parseArgs(['--node-flags', '--max-semi-space-size=2; rm -rf /'])).toThrow(/--node-flags/);
  });

  it('refuses what it does not know, naming it', () => {
    expect(() => parseArgs(['--peer', 'kong'])).toThrow(UsageError);
    expect(() => parseArgs(['--only', 'chat,bogus'])).toThrow(/bogus/);
    expect(() => parseArgs(['--duration', '0'])).toThrow(/duration/);
    expect(() => parseArgs(['--fast'])).toThrow(/--fast/);
    expect(() => parseArgs(['--loadgen'])).toThrow(/needs a value/);
  });
});

const run = (target: string, over: Partial<RunRecord> = {}): RunRecord => ({
  kind: 'run', scenario: 'chat c=1', target, tool: 'wrk', connections: 1, durationS: 8, requests: 8000, errors: 0, non2xx: 0, rps: 1000,
  latencyMs: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1.2, count: 8000 },
  upstreamCpuMsPerRequest: 0.05, machineBusyPercent: 50, loadAverage1m: 1,
  ...over,
});

describe('scenario differences and targets', () => {
  const direct = run('direct');
  const control = run('control', { rps: 1100, latencyMs: { p50: 1.05, p90: 2.1, p99: 2.9, max: 4, mean: 1.2, count: 8800 } });
  const gateway = run('gateway', {
    rps: 800, latencyMs: { p50: 1.3, p90: 2.5, p99: 4, max: 6, mean: 1.5, count: 6400 },
    subjectCpuMsPerRequest: 0.3, subjectPeakRssMB: 90, subjectProcesses: 1, peakIsPerRun: true,
  });
  const peer = run('peer', { rps: 200, subjectCpuMsPerRequest: 1.2, latencyMs: { p50: 2, p90: 3, p99: 5, max: 9, mean: 2, count: 1600 } });

  it('added latency is gateway minus direct; the noise floor is control minus direct', () => {
    const s = summarizeScenario('chat c=1', 'full', 1, { direct, gateway, control, peer });
    expect(s.addedMs).toEqual({ p50: 0.3, p90: 0.5, p99: 1 });
    expect(s.noiseMs).toEqual({ p50: 0.05, p90: 0.1, p99: -0.1 });
    expect(s.rpsOfDirect).toBe(0.8);
    expect(s.noiseRpsPercent).toBe(10);
    expect(s.peer).toMatchObject({ gatewayRpsRatio: 4, gatewayCpuRatio: 0.25, addedMs: { p50: 1 }, gatewayLatencyRatio: { p50: 0.65, p99: 0.8 } });
  });

  it('judges each target with its margin, and says which did not run', () => {
    const c1 = summarizeScenario('chat c=1', 'full', 1, { direct, gateway, control });
    const c64 = summarizeScenario('chat c=64', 'full', 64, { direct, gateway: { ...gateway, subjectCpuMsPerRequest: 0.5 }, control, peer });
    const targets = evaluateTargets([direct, gateway, control, c1, c64]);
    const byName = (prefix: string) => targets.find((t) => t.target.startsWith(prefix))!;
    expect(byName('gateway CPU per request, chat c=1')).toMatchObject({ pass: true, margin: '0.05 ms under' });
    expect(byName('gateway CPU per request, chat c=64')).toMatchObject({ pass: false, margin: '0.15 ms over (1.429× the limit)' });
    expect(byName('requests/s vs the peer')).toMatchObject({ pass: true, measured: '4×', margin: '1× above' });
    expect(byName('added latency p50')).toMatchObject({ pass: true, measured: '0.3 ms', noise: '±0.05 ms' });
    expect(byName('errors through the gateway')).toMatchObject({ pass: true, measured: '0 of 8000' });
    expect(byName('peak RSS')).toMatchObject({ pass: true, measured: '90 MB' });
    expect(byName('added time to first byte')).toMatchObject({ pass: null });
    expect(byName('projection lag')).toMatchObject({ pass: null });
  });

  it('a gateway that completed nothing fails rather than passing on zeros', () => {
    const dead = run('gateway', { requests: 0, rps: 0, latencyMs: { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN, count: 0 }, subjectCpuMsPerRequest: Number.NaN });
    const s = summarizeScenario('chat c=1', 'full', 1, { direct, gateway: dead, control });
    const targets = evaluateTargets([dead, s]);
    expect(targets.find((t) => t.target.startsWith('added latency p50'))!.pass).toBe(false);
    expect(targets.find((t) => t.target.startsWith('gateway CPU per request'))!.pass).toBe(false);
  });

  it('renders the runs, the differences and the verdicts as Markdown tables', () => {
    const s = summarizeScenario('chat c=1', 'full', 1, { direct, gateway, control });
    const md = renderMarkdown([direct, gateway, control, s, ...evaluateTargets([gateway, s])]);
    expect(md).toContain('| chat c=1 | gateway | wrk | 800 | 1.3 | 2.5 | 4 | 0 | 0.3 | 90 | — | 0.05 | 50 |');
    expect(md).toContain('| chat c=1 | +0.3 | +0.5 | +1 | +0.05 | +0.1 | -0.1 | 0.8× | +10 |');
    expect(md).not.toContain('Gateway ÷ peer');
    const withPeer = renderMarkdown([direct, gateway, peer, control, summarizeScenario('chat c=1', 'full', 1, { direct, gateway, control, peer })]);
    expect(withPeer).toContain('| chat c=1 | 4× | 0.65× | 0.833× | 0.8× | 0.25× | — | 0 |');
    expect(md).toMatch(/\| added latency p50, chat c=1 \| ≤ 0\.5 ms \| 0\.3 ms \| ±0\.05 ms \| \*\*PASS\*\* \|/);
  });
});

describe('a scenario group that failed', () => {
  it('is listed first in the report, with the first line of its error', () => {
    const md = renderMarkdown([{ kind: 'failure', group: 'eventstore', message: 'event store bench failed (code 1)\nstack...' }]);
    expect(md).toContain('## Scenarios that failed\n\n- **eventstore**: event store bench failed (code 1)\n');
    expect(md).not.toContain('stack...');
  });
});

describe('CPU profile summary', () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  const root = process.cwd();
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 5] },
      { id: 2, callFrame: frame('chat', `file://${root}/src/http/routes/chat.ts`), children: [3] },
      { id: 3, callFrame: frame('compile', `file://${root}/node_modules/kysely/dist/esm/index.js`), children: [4] },
      { id: 4, callFrame: frame('writev', ''), children: [] },
      { id: 5, callFrame: frame('(idle)', ''), children: [] },
    ],
    startTime: 1_000,
    endTime: 6_500,
    samples: [3, 3, 4, 5, 2, 3],
    timeDeltas: [100, 100, 100, 100, 100, 5_000],
  };

  it('attributes self time to packages, inclusive time to project files, and leaves idle out', () => {
    const s = summarizeProfile(profile);
    expect(s.idleMs).toBe(0.1);
    expect(s.busyMs).toBe(5.4);
    expect(s.byPackage[0]).toEqual({ name: 'kysely', ms: 5.2 });
    expect(s.byPackage.slice(1)).toEqual(expect.arrayContaining([{ name: 'src/http/routes/chat.ts', ms: 0.1 }, { name: '(native)', ms: 0.1 }]));
    expect(s.byPackage).toHaveLength(3);
    expect(s.byProjectFile).toEqual([{ name: 'src/http/routes/chat.ts', ms: 5.4 }]);
    // The driver frames sit under the route handler, so the whole stack counts as the HTTP phase.
    expect(s.byPhase).toEqual([{ name: 'HTTP server, routing, body, response', ms: 5.4 }]);
  });

  it('counts only samples inside the window', () => {
    const s = summarizeProfile(profile, { fromUs: 1_000, toUs: 1_500 });
    expect(s.totalMs).toBe(0.5);
    expect(s.byPackage[0]).toEqual({ name: 'kysely', ms: 0.2 });
  });

  it('names packages, scoped packages and node core modules', () => {
    expect(packageOf('file:///x/node_modules/@koa/router/lib/router.js', 'f')).toBe('@koa/router');
    expect(packageOf('node:internal/streams/writable', 'f')).toBe('node:streams');
    expect(packageOf('', '(garbage collector)')).toBe('(garbage collector)');
  });
});
