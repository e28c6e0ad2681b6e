/**
 * Structured JSON logs, one line per record. Secrets never reach a line: fields whose names look like
 * credentials are replaced, and any string that looks like a provider key or gateway credential is
 * masked wherever it appears, so a careless `log.info({ err })` cannot leak one.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

const SECRET_FIELD = /(api[-_]?key|authorization|token|secret|password|master[-_]?key|cookie|ciphertext)/i;
// Provider key shapes (OpenAI/DeepSeek sk-, Anthropic sk-ant-, Groq gsk_, Gemini AIza), gateway
// credentials (zb_, zt_, za_) and bearer headers.
const SECRET_VALUE = /\b(sk-[A-Za-z0-9_-]{6,}|gsk_[A-Za-z0-9]{6,}|AIza[A-Za-z0-9_-]{10,}|z[bta]_[A-Za-z0-9_-]{6,}|Bearer\s+[A-Za-z0-9._~+/=-]{6,})/g;

export function scrubText(text: string): string {
  return text.replace(SECRET_VALUE, '[redacted]');
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (typeof value === 'string') return scrubText(value);
  if (value instanceof Error) {
    return { name: value.name, message: scrubText(value.message), code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_FIELD.test(k) ? '[redacted]' : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export function createLogger(
  level: LogLevel = 'info',
  base: LogFields = {},
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): Logger {
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    if (rank[lvl] < rank[level]) return;
    const record = { time: new Date().toISOString(), level: lvl, msg: scrubText(msg), ...(redact({ ...base, ...fields }) as LogFields) };
    write(JSON.stringify(record));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}
