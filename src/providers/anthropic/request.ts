import type { MessageCreateParamsBase, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { ProviderError, type ChatMessage, type ChatRequest } from '../types.ts';

/** Used when the client sets no max_tokens (the Messages API requires one). */
export const DEFAULT_MAX_TOKENS = 4096;

// Published output ceilings; the API rejects a larger max_tokens, so requests are clamped to these.
const MAX_OUTPUT_TOKENS: [RegExp, number][] = [
  [/^claude-3-(haiku|opus|sonnet)/, 4096],
  [/^claude-3-5-/, 8192],
  [/^claude-3-7-sonnet/, 64_000],
  [/^claude-opus-4-5/, 64_000],
  [/^claude-opus-4/, 32_000],
  [/^claude-(sonnet|haiku)-4/, 64_000],
];

export function maxOutputTokens(model: string): number | undefined {
  return MAX_OUTPUT_TOKENS.find(([pattern]) => pattern.test(model))?.[1];
}

export function maxTokensFor(model: string, requested: number | undefined): number {
  const ceiling = maxOutputTokens(model);
  const wanted = requested ?? Math.min(DEFAULT_MAX_TOKENS, ceiling ?? DEFAULT_MAX_TOKENS);
  return ceiling === undefined ? wanted : Math.min(wanted, ceiling);
}

/**
 * The normalized request as Messages API parameters: system messages become the top-level
 * `system`, consecutive turns of one role are merged (the API wants strict user/assistant
 * alternation), and a conversation that opens with the assistant gets a minimal user turn first.
 */
export function toMessageParams(request: ChatRequest): MessageCreateParamsBase {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content).filter((c) => c !== '');
  const messages = mergeTurns(request.messages.filter((m) => m.role !== 'system'));
  if (messages.length === 0) {
    throw new ProviderError({
      provider: 'anthropic', kind: 'bad_request',
      message: 'Anthropic needs at least one user or assistant message besides the system prompt',
    });
  }
  // The API rejects a first assistant turn; OpenAI-style clients may send one (e.g. a greeting).
  if (messages[0]?.role === 'assistant') messages.unshift({ role: 'user', content: '.' });
  return {
    model: request.model,
    messages,
    max_tokens: maxTokensFor(request.model, request.max_tokens),
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.top_p !== undefined ? { top_p: request.top_p } : {}),
    ...(request.stop !== undefined && request.stop.length > 0 ? { stop_sequences: request.stop } : {}),
  };
}

function mergeTurns(turns: ChatMessage[]): MessageParam[] {
  const out: { role: 'user' | 'assistant'; content: string }[] = [];
  for (const turn of turns) {
    const role = turn.role === 'assistant' ? 'assistant' : 'user';
    const last = out.at(-1);
    if (last && last.role === role) last.content = `${last.content}\n\n${turn.content}`;
    else out.push({ role, content: turn.content });
  }
  return out;
}
