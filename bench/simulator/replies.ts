/**
 * OpenAI Chat Completions replies, serialized once per (model, settings) so the simulator spends
 * its time on the network and not on JSON: the benchmark measures the gateway, not the upstream.
 */
export interface ReplySettings {
  /** Delay before the response headers (the upstream's "thinking" time). */
  latencyMs: number;
  /** Content deltas in a streamed reply; the JSON reply carries the same text in one piece. */
  chunks: number;
  /** Delay between consecutive content deltas of a stream. */
  chunkDelayMs: number;
}

export const DEFAULT_SETTINGS: ReplySettings = { latencyMs: 0, chunks: 16, chunkDelayMs: 0 };

export const LIMITS = { latencyMs: 60_000, chunks: 1_000, chunkDelayMs: 10_000 } as const;

/** A fixed prompt count: pre-serialized bodies cannot depend on the request. */
export const PROMPT_TOKENS = 24;
const CREATED = 1_767_225_600;
const COMPLETION_ID = 'chatcmpl-benchsim000000000000000001';
const FINGERPRINT = 'fp_bench0001';

export interface PreparedReplies {
  json: Buffer;
  /** The stream as writes: the first holds the role delta and the first content delta together. */
  stream: Buffer[];
  /** Same, for requests with `stream_options.include_usage` (usage: null on every chunk, then a usage chunk). */
  streamWithUsage: Buffer[];
}

const WORDS = ['Sure', ' thing', ' here', ' is', ' a', ' short', ' benchmark', ' reply', ' from', ' the', ' simulated', ' model', ' that', ' keeps', ' going', '.'];

export function replyPieces(chunks: number): string[] {
  return Array.from({ length: chunks }, (_, i) => WORDS[i % WORDS.length]!);
}

function usageBlock(completionTokens: number) {
  return {
    prompt_tokens: PROMPT_TOKENS,
    completion_tokens: completionTokens,
    total_tokens: PROMPT_TOKENS + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function jsonReply(model: string, pieces: string[]): Buffer {
  return Buffer.from(JSON.stringify({
    id: COMPLETION_ID,
    object: 'chat.completion',
    created: CREATED,
    model,
    choices: [{
      index: 0,
      message: { role: 'assistant', content: pieces.join(''), refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    }],
    usage: usageBlock(pieces.length),
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  }));
}

function streamReply(model: string, pieces: string[], includeUsage: boolean): Buffer[] {
  const nullUsage = includeUsage ? { usage: null } : {};
  const frame = (choices: unknown[], extra: Record<string, unknown> = nullUsage) => `data: ${JSON.stringify({
    id: COMPLETION_ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
    choices,
    ...extra,
  })}\n\n`;
  const choice = (delta: Record<string, unknown>, finish: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason: finish });

  const content = pieces.map((p) => frame([choice({ content: p })]));
  const tail = [
    frame([choice({}, 'stop')]),
    ...(includeUsage ? [frame([], { usage: usageBlock(pieces.length) })] : []),
    'data: [DONE]\n\n',
  ].join('');
  // The role delta carries no text; sending it with the first token keeps "first byte" meaning
  // "first token" for direct and proxied runs alike.
  const writes = [frame([choice({ role: 'assistant', content: '', refusal: null })]) + (content[0] ?? '')];
  for (const c of content.slice(1)) writes.push(c);
  if (writes.length > 1) writes[writes.length - 1] += tail;
  else writes[0] += tail;
  return writes.map((w) => Buffer.from(w));
}

export function prepareReplies(model: string, settings: ReplySettings): PreparedReplies {
  const pieces = replyPieces(settings.chunks);
  return {
    json: jsonReply(model, pieces),
    stream: streamReply(model, pieces, false),
    streamWithUsage: streamReply(model, pieces, true),
  };
}

export function modelList(models: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify({
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'system' })),
  }));
}

/** OpenAI's error body. */
export function errorBody(message: string, type: string, code: string | null = null): Buffer {
  return Buffer.from(JSON.stringify({ error: { message, type, param: null, code } }));
}
