/**
 * DeepSeek is reached through the openai SDK, so its failures are that SDK's error classes. Its
 * own statuses (402 insufficient balance, 422 invalid parameters, 503 overloaded) map by status.
 */
export { openaiSdkErrors as deepseekSdkErrors } from '../openai/errors.ts';
