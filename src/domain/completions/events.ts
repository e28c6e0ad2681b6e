import { z } from 'zod';
import { defineEvent, type EventOf } from '../shared/eventDefinition.ts';
import { PROVIDERS } from '../../providers/types.ts';

const base = {
  projectId: z.string().uuid(),
  completionId: z.string().uuid(),
};
const provider = z.enum(PROVIDERS);

export const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  reasoningTokens: z.number().int().nonnegative(),
  estimated: z.boolean(),
  raw: z.unknown().optional(),
});

/** What was spent, priced with a named price table so the figure can be recomputed and audited. */
const spend = {
  usage: usageSchema.nullable(),
  costUsd: z.number().nonnegative().nullable(),
  priceTableVersion: z.string(),
  latencyMs: z.number().nonnegative(),
  ttftMs: z.number().nonnegative().nullable(),
  attempts: z.number().int().positive(),
};

const message = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

/** Recorded before the upstream call, so a request that never finishes still leaves a trace. */
export const CompletionRequested = defineEvent('CompletionRequested', 1, z.object({
  ...base,
  source: z.enum(['dashboard', 'public', 'arena']),
  apiKeyId: z.string().uuid().nullable(),
  /** What the client asked for, and what it resolved to. */
  requestedModel: z.string(),
  provider,
  model: z.string(),
  stream: z.boolean(),
  params: z.object({
    temperature: z.number().nullable(),
    maxTokens: z.number().int().nullable(),
    topP: z.number().nullable(),
    stop: z.array(z.string()).nullable(),
  }),
  messageCount: z.number().int().nonnegative(),
  /** Only when the project opted in to storing content. */
  messages: z.array(message).nullable(),
}));

export const CompletionSucceeded = defineEvent('CompletionSucceeded', 1, z.object({
  ...base,
  provider,
  model: z.string(),
  ...spend,
  finishReason: z.string(),
  providerResponseId: z.string().nullable(),
  content: z.string().nullable(),
  reasoning: z.string().nullable(),
}));

export const CompletionFailed = defineEvent('CompletionFailed', 1, z.object({
  ...base,
  provider,
  model: z.string(),
  ...spend,
  error: z.object({
    /** Normalized class: authentication, rate_limited, upstream, timeout, connection, ... */
    kind: z.string(),
    status: z.number().int().nullable(),
    providerCode: z.string().nullable(),
    message: z.string().max(2000),
  }),
}));

export const CompletionCancelled = defineEvent('CompletionCancelled', 1, z.object({
  ...base,
  provider,
  model: z.string(),
  ...spend,
  reason: z.enum(['client_disconnected', 'shutdown']),
}));

export const completionEvents = [CompletionRequested, CompletionSucceeded, CompletionFailed, CompletionCancelled] as const;

export type CompletionEvent =
  | EventOf<typeof CompletionRequested>
  | EventOf<typeof CompletionSucceeded>
  | EventOf<typeof CompletionFailed>
  | EventOf<typeof CompletionCancelled>;

export const completionStream = (completionId: string) => `completion-${completionId}`;
