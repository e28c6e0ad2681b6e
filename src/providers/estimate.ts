import { createRequire } from 'node:module';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import type { Usage } from '../domain/usage.ts';
import type { ChatRequest } from './types.ts';

/**
 * Token counts for when a provider reports none (a stream cut short, a provider that omits usage).
 * Every provider tokenizes differently; cl100k_base is a reasonable common estimate (o200k_base
 * agrees within a few percent on prose but holds twice the memory), and the result is marked
 * `estimated` so nobody mistakes it for a billed figure.
 */

// OpenAI's documented chat framing: a few tokens per message and a few to prime the reply.
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;
/** Text beyond this is counted at the rule-of-thumb rate instead of tokenized, bounding CPU time. */
const MAX_TOKENIZED_CHARS = 1_000_000;
const CHARS_PER_TOKEN = 4;

/** An idle tokenizer is dropped after this long: its tables hold about 100 MB of heap. */
const RELEASE_AFTER_MS = 5 * 60_000;

let encoder: Tiktoken | undefined;
let releaseTimer: NodeJS.Timeout | undefined;

/** The ranks file is several megabytes of JavaScript: loaded on first use, never at start-up. */
function tokenizer(): Tiktoken {
  if (!encoder) {
    const require = createRequire(import.meta.url);
    const ranks = require('js-tiktoken/ranks/cl100k_base') as TiktokenBPE;
    encoder = new Tiktoken(ranks);
    // The module cache would keep the ranks alive after the encoder is dropped.
    delete require.cache[require.resolve('js-tiktoken/ranks/cl100k_base')];
  }
  clearTimeout(releaseTimer);
  releaseTimer = setTimeout(() => { encoder = undefined; }, RELEASE_AFTER_MS);
  releaseTimer.unref();
  return encoder;
}

export function countTokens(text: string): number {
  if (text === '') return 0;
  const head = text.length > MAX_TOKENIZED_CHARS ? text.slice(0, MAX_TOKENIZED_CHARS) : text;
  const rest = text.length - head.length;
  // Special-token markers in user text are counted as ordinary text, never rejected.
  return tokenizer().encode(head, [], []).length + Math.ceil(rest / CHARS_PER_TOKEN);
}

export function estimateInputTokens(request: Pick<ChatRequest, 'messages'>): number {
  let total = TOKENS_PER_REPLY;
  for (const m of request.messages) total += TOKENS_PER_MESSAGE + countTokens(m.role) + countTokens(m.content);
  return total;
}

export function estimateUsage(request: Pick<ChatRequest, 'messages'>, outputText: string, reasoningText?: string): Usage {
  const reasoningTokens = reasoningText ? countTokens(reasoningText) : 0;
  return {
    inputTokens: estimateInputTokens(request),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: countTokens(outputText) + reasoningTokens,
    reasoningTokens,
    estimated: true,
  };
}
