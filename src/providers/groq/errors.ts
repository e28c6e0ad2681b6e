import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'groq-sdk';
import type { SdkErrorClasses } from '../openaiCompatible/errors.ts';

/** groq-sdk's error classes: the same shape as openai's, but distinct classes. */
export const groqSdkErrors: SdkErrorClasses = { APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError };
