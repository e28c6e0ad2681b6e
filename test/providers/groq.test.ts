import { describe, expect, it } from '@jest/globals';
import { groqAdapter } from '../../src/providers/groq/index.ts';
import { groqResponses } from '../../src/providers/groq/response.ts';
import { REASONING_TEXT, REASONING_TOKENS } from '../simulators/replies.ts';
import { startGroqSimulator } from '../simulators/groq.ts';
import { callOptions, collect, lastUsage, reasoningOf, textOf } from './streamCollector.ts';
import { describeOpenAIShapedAdapter, failureOf } from './openaiShapedConformance.ts';

const KEY = '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';
const t = describeOpenAIShapedAdapter({
  adapter: groqAdapter,
  startSimulator: startGroqSimulator,
  model: 'llama-3.3-70b-versatile',
  apiKey: KEY,
  wrongKey: 'gsk_wrongE3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9z0X1c2V3b4N5',
  baseUrl: (url) => url,
  chatPath: '/openai/v1/chat/completions',
  modelsPath: '/openai/v1/models',
  probe: 'GET /openai/v1/models',
});

describe('groq adapter: request mapping', () => {
  it('keeps system messages and sends max_completion_tokens, temperature, top_p and stop', async () => {
    await groqAdapter.chat(t.creds(), t.request({
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      max_tokens: 50, temperature: 0.3, top_p: 0.8, stop: ['END'],
    }), callOptions());
    expect(t.sim().requests[0]!.body).toEqual({
      model: 'llama-3.3-70b-versatile',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      max_completion_tokens: 50, temperature: 0.3, top_p: 0.8, stop: ['END'], stream: false,
    });
  });

  it('faces a simulator that, like Groq, refuses unknown properties, so a misnamed field fails here too', async () => {
    const res = await fetch(`${t.sim().url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'x' }], max_output_tokens: 5 }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: "property 'max_output_tokens' is unsupported", type: 'invalid_request_error' } });
  });
});

describe('groq adapter: usage and reasoning', () => {
  it('reads stream usage from x_groq.usage when no top-level usage is sent', () => {
    // The last chunk of a Groq stream without include_usage, as Groq sends it.
    const last = {
      id: 'chatcmpl-8566e76f', object: 'chat.completion.chunk', created: 1716131679, model: 'llama3-8b-8192',
      system_fingerprint: 'fp_179b0f92c9', choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
      x_groq: { id: 'req_01hy8ppkajfqk987jv2vx88m9r', usage: { queue_time: 0.075, prompt_tokens: 23, prompt_time: 0.006, completion_tokens: 19, completion_time: 0.022, total_tokens: 42, total_time: 0.028 } },
    };
    expect(groqResponses.usage(last)).toMatchObject({ inputTokens: 23, outputTokens: 19, cacheReadTokens: 0, reasoningTokens: 0, estimated: false });
  });

  it('streams usage from both places Groq reports it, ending with the same totals', async () => {
    const { events } = await collect(groqAdapter.chatStream(t.creds(), t.request(), callOptions()));
    const usages = events.filter((e) => e.type === 'usage');
    expect(usages).toHaveLength(2);
    expect(usages[0]).toEqual(expect.objectContaining({ usage: expect.objectContaining({ outputTokens: lastUsage(events)!.outputTokens }) }));
  });

  it('reports parsed reasoning as reasoning, apart from the answer', async () => {
    t.sim().enqueue({ kind: 'reply', usage: 'reasoning' }, { kind: 'reply', usage: 'reasoning' });
    const result = await groqAdapter.chat(t.creds(), t.request(), callOptions());
    expect(result.reasoning).toBe(REASONING_TEXT);
    expect(result.content).toBe('Hello from the groq simulator.');
    expect(result.usage).toMatchObject({ reasoningTokens: REASONING_TOKENS });
    const { events } = await collect(groqAdapter.chatStream(t.creds(), t.request(), callOptions()));
    expect(reasoningOf(events)).toBe(REASONING_TEXT);
    expect(textOf(events)).toBe('Hello from the groq simulator.');
  });

  it('fails the stream when Groq reports an error inside it', () => {
    expect(() => groqResponses.streamError?.({ x_groq: { id: 'req_1', error: 'stream stopped: model overloaded' } })).not.toThrow();
    expect(groqResponses.streamError?.({ x_groq: { id: 'req_1', error: 'stream stopped: model overloaded' } })).toBe('stream stopped: model overloaded');
    expect(groqResponses.streamError?.({ x_groq: { id: 'req_1' } })).toBeUndefined();
  });

  it('maps an unknown model to "bad_request" with Groq\'s message', async () => {
    const err = await failureOf(groqAdapter.chat(t.creds(), t.request({ model: 'llama-does-not-exist' }), callOptions()));
    expect(err).toMatchObject({ kind: 'bad_request', status: 404, providerCode: 'model_not_found' });
  });
});

describe('groq adapter: base URL', () => {
  const check = (u: string) => groqAdapter.checkBaseUrl(new URL(u));
  it('accepts the host root', () => {
    expect(check('https://api.groq.com')).toBeUndefined();
    expect(check('https://api.groq.com/')).toBeUndefined();
  });
  it('rejects /openai/v1 and other paths, since the SDK adds its own', () => {
    expect(check('https://api.groq.com/openai/v1')).toMatch(/host root.*\/openai\/v1/);
    expect(check('https://api.groq.com/v1')).toMatch(/host root/);
  });
  it('rejects other schemes and queries', () => {
    expect(check('file:///etc/passwd')).toMatch(/http or https/);
    expect(check('https://api.groq.com/?a=1')).toMatch(/query/);
  });
});
