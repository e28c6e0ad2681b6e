import { z } from 'zod';

/**
 * Every setting the service reads, validated once at start-up. A bad value stops the process with a
 * message naming the variable; nothing else in the code reads process.env.
 */
const intFrom = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

const settings = z.object({
  PORT: intFrom(8080, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  EVENT_STORE: z.enum(['postgres', 'eventstoredb']).default('postgres'),
  EVENTSTORE_URL: z.string().startsWith('esdb').optional(),
  ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  MASTER_KEYS: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  BODY_LIMIT_BYTES: intFrom(1_048_576, 1024, 64 * 1_048_576),
  SHUTDOWN_TIMEOUT_MS: intFrom(10_000, 0, 120_000),
  UPSTREAM_TIMEOUT_MS: intFrom(60_000, 100, 600_000),
  UPSTREAM_MAX_RETRIES: intFrom(2, 0, 5),
  READ_YOUR_WRITES_TIMEOUT_MS: intFrom(5_000, 10, 60_000),
  CLUSTER_WORKERS: intFrom(0, 0, 64),
});

export const configSchema = settings.superRefine((c, ctx) => {
  if (c.EVENT_STORE === 'eventstoredb' && !c.EVENTSTORE_URL) {
    ctx.addIssue({ code: 'custom', path: ['EVENTSTORE_URL'], message: 'is required when EVENT_STORE=eventstoredb' });
  }
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; the error text names each bad variable but never echoes its value. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant = Object.fromEntries(
    Object.keys(settings.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = configSchema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
