import type { ChatCompletionRequest } from '@mistralai/mistralai/models/components';
import type { ChatRequest } from '../types.ts';

/**
 * The normalized request in the SDK's camelCase form, which it sends as Mistral's OpenAI-like body
 * (`max_tokens`, `top_p`, `stop`). Messages pass through in order: the API takes system messages
 * inline and does not require alternating roles.
 */
export function toChatParams(request: ChatRequest): ChatCompletionRequest {
  return {
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.top_p !== undefined ? { topP: request.top_p } : {}),
    ...(request.max_tokens !== undefined ? { maxTokens: request.max_tokens } : {}),
    ...(request.stop !== undefined && request.stop.length > 0 ? { stop: request.stop } : {}),
    // Mistral's optional guardrail prompt would change what the caller asked for.
    safePrompt: false,
  };
}
