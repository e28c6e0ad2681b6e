import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI, { AuthenticationError } from 'openai';
import { startBenchSimulator, type BenchSimulator } from '../../bench/simulator/server.ts';
import { DEFAULT_SETTINGS, PROMPT_TOKENS, replyPieces } from '../../bench/simulator/replies.ts';

/** The benchmark's upstream, read by the official openai SDK: if the SDK parses it, so does the gateway. */
describe('bench simulator speaks OpenAI Chat Completions', () => {
  let sim: BenchSimulator;
  let client: OpenAI;
  const messages = [{ role: 'user' as const, content: 'Say hello' }];

  const configure = async (settings: object) => {
    const res = await fetch(`${sim.url}/_bench/settings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });
    return { status: res.status, body: await res.json() as any };
  };

  beforeAll(async () => {
    sim = await startBenchSimulator();
    client = new OpenAI({ apiKey: 'sk-bench-test-0123456789', baseURL: `${sim.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => { await sim.close(); });
  beforeEach(async () => { expect((await configure(DEFAULT_SETTINGS)).status).toBe(200); });

  it('answers a plain completion with content, finish reason and usage', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: replyPieces(16).join('') });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: PROMPT_TOKENS, completion_tokens: 16, total_tokens: PROMPT_TOKENS + 16 });
  });

  it('streams deltas, a finish chunk, a usage chunk with empty choices when include_usage is set, then [DONE]', async () => {
    await configure({ chunks: 5, chunkDelayMs: 1 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant', content: '' });
    const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('');
    expect(text).toBe(replyPieces(5).join(''));
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0]!.finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: PROMPT_TOKENS, completion_tokens: 5 });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
  });

  it('sends no usage chunk when include_usage is not asked for', async () => {
    const res = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages, stream: true }),
    });
    const body = await res.text();
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(body).not.toContain('"usage"');
    expect(body.split('\n\n').filter((f) => f.startsWith('data: {'))).toHaveLength(DEFAULT_SETTINGS.chunks + 2);
  });

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });

  it('refuses a request without a key the way OpenAI does', async () => {
    const anonymous = new OpenAI({ apiKey: 'x', baseURL: `${sim.url}/v1`, maxRetries: 0, defaultHeaders: { authorization: null } });
    await expect(anonymous.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('answers malformed and incomplete bodies with 400 and an OpenAI error body', async () => {
    const post = (body: string) => fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json' }, body });
    const badJson = await post('{"model":');
    expect(badJson.status).toBe(400);
    expect((await badJson.json() as any).error.type).toBe('invalid_request_error');
    expect((await post(JSON.stringify({ messages }))).status).toBe(400);
    expect((await post(JSON.stringify({ model: 'gpt-4o', messages: [] }))).status).toBe(400);
  });

  it('refuses settings out of range or unknown, and applies good ones to the next reply', async () => {
    expect((await configure({ chunks: 0 })).status).toBe(400);
    expect((await configure({ latencyMs: 1.5 })).status).toBe(400);
    expect((await configure({ speed: 1 })).body.error.message).toMatch(/unknown setting/);
    expect((await configure({ chunks: 3, latencyMs: 5 })).body).toMatchObject({ chunks: 3, latencyMs: 5 });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(completion.choices[0]!.message.content).toBe(replyPieces(3).join(''));
    const stats = await (await fetch(`${sim.url}/_bench/stats`)).json() as any;
    expect(stats.settings.chunks).toBe(3);
    expect(stats.completions).toBeGreaterThan(0);
  });
});
