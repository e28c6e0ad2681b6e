import { loadConfig, ConfigError } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';

describe('configuration', () => {
  test('defaults apply with an empty environment', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8080);
    expect(c.DATA_DIR).toBe('./data');
    expect(c.EVENT_STORE).toBe('postgres');
    expect(c.DATABASE_URL).toBeUndefined();
  });

  test('a bad variable is named, its value is not echoed', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    try {
      loadConfig({ ADMIN_TOKEN: 'short-secret-value', DATABASE_URL: 'not a url' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(/ADMIN_TOKEN/);
      expect(message).toMatch(/DATABASE_URL/);
      expect(message).not.toContain('short-secret-value');
    }
  });

  test('EVENT_STORE=eventstoredb requires EVENTSTORE_URL', () => {
    expect(() => loadConfig({ EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_URL/);
  });
});

describe('structured logs', () => {
  test('secrets never reach a log line, whatever field or text carries them', () => {
    const lines: string[] = [];
    const log = createLogger('debug', {}, (l) => lines.push(l));
    const planted = 'sk-proj-PLANTEDsecret0123456789';
    log.info(`calling with ${planted}`, {
      api_key: planted,
      headers: { authorization: `Bearer ${planted}`, 'x-api-key': 'zb_PLANTEDpublickey0123' },
      nested: { note: `key is ${planted}` },
      err: new Error(`upstream said Incorrect API key provided: ${planted}`),
    });
    const out = lines.join('\n');
    expect(out).not.toContain('PLANTED');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', api_key: '[redacted]' });
  });

  test('levels below the configured one are dropped', () => {
    const lines: string[] = [];
    const log = createLogger('warn', {}, (l) => lines.push(l));
    log.info('quiet');
    log.warn('loud');
    expect(lines).toHaveLength(1);
  });
});
