import type { LoadTool } from './load/run.ts';

export const SCENARIO_GROUPS = ['chat', 'stream', 'lag', 'eventstore', 'longrun', 'cluster'] as const;
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number];

export interface BenchArgs {
  quick: boolean;
  /** Length of each measured run. */
  durationMs: number;
  peer: 'portkey' | undefined;
  loadgen: LoadTool;
  only: Set<ScenarioGroup>;
  /** Profile the gateway under the chat load instead of running the scenarios. */
  profile: boolean;
  /** Connections of the profiled chat load. */
  profileConnections: number;
  /** Extra node flags for the gateway process (to try V8 settings; production runs without). */
  gatewayNodeFlags: string[];
  /** Results go to bench/results/<name>.md and .jsonl (quick runs: <name>.md.tmp, kept out of git). */
  name: string;
}

export const USAGE = `usage: npm run bench -- [options]
  --quick              ~2 s runs instead of ~8 s
  --duration <s>       seconds per run (1-60)
  --peer portkey       also run every scenario through Portkey's gateway
  --loadgen wrk|node   load generator for whole responses (default wrk; streams always use node)
  --only <groups>      comma-separated: ${SCENARIO_GROUPS.join(',')}
  --profile            CPU-profile the gateway under the chat load, write bench/results/profile.md
  --connections <n>    connections of the profiled load (1-256, default 64)
  --node-flags <flags> extra node flags for the gateway, e.g. "--max-semi-space-size=2" (to try V8 settings)
  --name <name>        results file name under bench/results/ (default latest; quick runs: quick, as .tmp)`;

export class UsageError extends Error {}

export function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { quick: false, durationMs: 8_000, peer: undefined, loadgen: 'wrk', only: new Set(SCENARIO_GROUPS), profile: false, profileConnections: 64, gatewayNodeFlags: [], name: '' };
  let duration: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick': args.quick = true; break;
      case '--profile': args.profile = true; break;
      case '--duration': {
        duration = Number(value());
        if (!Number.isInteger(duration) || duration < 1 || duration > 60) throw new UsageError('--duration must be a whole number of seconds from 1 to 60');
        break;
      }
      case '--peer': {
        const v = value();
        if (v !== 'portkey') throw new UsageError(`unknown peer ${JSON.stringify(v)}; the one supported is portkey`);
        args.peer = v;
        break;
      }
      case '--loadgen': {
        const v = value();
        if (v !== 'wrk' && v !== 'node') throw new UsageError('--loadgen must be wrk or node');
        args.loadgen = v;
        break;
      }
      case '--only': {
        const groups = value().split(',').map((g) => g.trim()).filter(Boolean);
        const unknown = groups.filter((g) => !(SCENARIO_GROUPS as readonly string[]).includes(g));
        if (unknown.length || groups.length === 0) throw new UsageError(`--only takes ${SCENARIO_GROUPS.join(', ')}; got ${JSON.stringify(unknown.join(','))}`);
        args.only = new Set(groups as ScenarioGroup[]);
        break;
      }
      case '--connections': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError('--connections must be a whole number from 1 to 256');
        args.profileConnections = n;
        break;
      }
      case '--node-flags': {
        const flags = value().split(' ').filter(Boolean);
        const bad = flags.filter((f) => !/^--[a-z0-9-]+(=[\w.-]+)?$/.test(f));
        if (bad.length) throw new UsageError(`--node-flags takes node options like --max-semi-space-size=2; got ${JSON.stringify(bad.join(' '))}`);
        args.gatewayNodeFlags = flags;
        break;
      }
      case '--name': {
        const v = value();
        if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(v)) throw new UsageError('--name must be lowercase letters, digits and dashes');
        args.name = v;
        break;
      }
      case '--help': case '-h': throw new UsageError('');
      default: throw new UsageError(`unknown option ${JSON.stringify(flag)}`);
    }
  }
  args.durationMs = duration !== undefined ? duration * 1000 : args.quick ? 2_000 : 8_000;
  args.name ||= args.quick ? 'quick' : 'latest';
  return args;
}
