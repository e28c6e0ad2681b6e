import type { ProviderName } from '../../src/providers/types.ts';
import type { RecordedRequest, SimScript, Simulator } from './base.ts';
import { startOpenAISimulator } from './openai.ts';
import { startAnthropicSimulator } from './anthropic.ts';
import { startGoogleSimulator } from './google.ts';
import { startGroqSimulator } from './groq.ts';
import { startMistralSimulator } from './mistral.ts';
import { startDeepSeekSimulator } from './deepseek.ts';

/** One simulator per provider, with the base URL its SDK takes and how to read what reached it. */
export interface ProviderFixture {
  provider: ProviderName;
  /** A catalogued model of this provider. */
  model: string;
  start(): Promise<Simulator<SimScript>>;
  baseUrl(sim: Simulator<SimScript>): string;
  /** Path the chat request must reach. */
  chatPath: RegExp;
  /** The system prompt, temperature and output limit as the provider's API received them. */
  mapped(req: RecordedRequest): { system: string | undefined; temperature: number | undefined; maxTokens: number | undefined };
  supports: { cached: boolean };
  /** A model that reasons, and whether the provider returns the reasoning text itself. */
  reasoning: { model: string; text: boolean } | undefined;
}

const openaiShaped = (req: RecordedRequest) => ({
  system: req.body.messages?.find((m: any) => m.role === 'system' || m.role === 'developer')?.content,
  temperature: req.body.temperature,
  maxTokens: req.body.max_tokens ?? req.body.max_completion_tokens,
});

export const providerFixtures: ProviderFixture[] = [
  {
    provider: 'openai', model: 'gpt-4o-mini', start: startOpenAISimulator, baseUrl: (s) => `${s.url}/v1`,
    chatPath: /^\/v1\/chat\/completions$/, mapped: openaiShaped, supports: { cached: true }, reasoning: { model: 'o1', text: false },
  },
  {
    provider: 'anthropic', model: 'claude-sonnet-4', start: startAnthropicSimulator as () => Promise<Simulator<SimScript>>, baseUrl: (s) => s.url,
    chatPath: /^\/v1\/messages$/,
    mapped: (req) => ({
      system: typeof req.body.system === 'string' ? req.body.system : req.body.system?.map((b: any) => b.text).join('\n'),
      temperature: req.body.temperature,
      maxTokens: req.body.max_tokens,
    }),
    supports: { cached: true }, reasoning: { model: 'claude-sonnet-4', text: true },
  },
  {
    provider: 'google', model: 'gemini-2.0-flash', start: startGoogleSimulator as () => Promise<Simulator<SimScript>>, baseUrl: (s) => s.url,
    chatPath: /^\/v1beta\/models\/gemini-2\.0-flash:(generateContent|streamGenerateContent)$/,
    mapped: (req) => ({
      system: req.body.systemInstruction?.parts?.map((p: any) => p.text).join('\n'),
      temperature: req.body.generationConfig?.temperature,
      maxTokens: req.body.generationConfig?.maxOutputTokens,
    }),
    supports: { cached: true }, reasoning: { model: 'gemini-2.0-flash', text: true },
  },
  {
    provider: 'groq', model: 'llama-3.3-70b', start: startGroqSimulator, baseUrl: (s) => s.url,
    chatPath: /^\/openai\/v1\/chat\/completions$/, mapped: openaiShaped, supports: { cached: true }, reasoning: undefined,
  },
  {
    provider: 'mistral', model: 'mistral-small', start: startMistralSimulator as () => Promise<Simulator<SimScript>>, baseUrl: (s) => s.url,
    chatPath: /^\/v1\/chat\/completions$/, mapped: openaiShaped, supports: { cached: false }, reasoning: undefined,
  },
  {
    provider: 'deepseek', model: 'deepseek-chat', start: startDeepSeekSimulator, baseUrl: (s) => s.url,
    chatPath: /^(\/v1)?\/chat\/completions$/, mapped: openaiShaped, supports: { cached: true }, reasoning: { model: 'deepseek-reasoner', text: true },
  },
];
