import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { SdkErrorClasses } from '../openaiCompatible/errors.ts';

/** The openai SDK's error classes, shared by the OpenAI and DeepSeek adapters. */
export const openaiSdkErrors: SdkErrorClasses = { APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError };
