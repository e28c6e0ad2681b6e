import type { Content, GenerateContentConfig, GenerateContentParameters } from '@google/genai';
import { ProviderError, type ChatMessage, type ChatRequest } from '../types.ts';

/**
 * The normalized request as `generateContent` parameters: system messages become
 * `config.systemInstruction`, assistant turns use Gemini's `model` role, consecutive turns of one
 * role are merged (multi-turn requests must alternate), and generation settings go in `config`,
 * which the SDK sends as `generationConfig`.
 */
export function toGenerateParams(request: ChatRequest): GenerateContentParameters & { config: GenerateContentConfig } {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content).filter((c) => c !== '');
  const contents = mergeTurns(request.messages.filter((m) => m.role !== 'system'));
  if (contents.length === 0) {
    throw new ProviderError({
      provider: 'google', kind: 'bad_request',
      message: 'Gemini needs at least one user or assistant message besides the system instruction',
    });
  }
  return {
    model: request.model,
    contents,
    config: {
      ...(system.length > 0 ? { systemInstruction: { parts: [{ text: system.join('\n\n') }] } } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.top_p !== undefined ? { topP: request.top_p } : {}),
      ...(request.max_tokens !== undefined ? { maxOutputTokens: request.max_tokens } : {}),
      ...(request.stop !== undefined && request.stop.length > 0 ? { stopSequences: request.stop } : {}),
      // Both would make the SDK issue further requests on its own (tool round trips, resuming a
      // dropped stream); the gateway decides about every request it sends.
      automaticFunctionCalling: { disable: true },
      automaticContinuation: false,
    },
  };
}

function mergeTurns(turns: ChatMessage[]): Content[] {
  const out: { role: 'user' | 'model'; parts: { text: string }[] }[] = [];
  for (const turn of turns) {
    const role = turn.role === 'assistant' ? 'model' : 'user';
    const last = out.at(-1);
    const lastPart = last?.parts[0];
    if (last && last.role === role && lastPart) lastPart.text = `${lastPart.text}\n\n${turn.content}`;
    else out.push({ role, parts: [{ text: turn.content }] });
  }
  return out;
}
