import { GoogleGenAI } from '@google/genai';
import { checkHostRoot } from '../shared/baseUrl.ts';
import { callSignal } from '../shared/callSignal.ts';
import { ClientCache } from '../shared/clientCache.ts';
import { ProviderError, type ProviderAdapter } from '../types.ts';
import { toProviderError } from './errors.ts';
import { toGenerateParams } from './request.ts';
import { fromResponse, GenerateStreamTranslator } from './response.ts';

export const GOOGLE_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
// Pinned rather than left to the SDK default or GOOGLE_GENAI_API_VERSION: the Developer API's
// documentation and features (thought summaries, cached content) are on v1beta.
export const GOOGLE_API_VERSION = 'v1beta';

const clients = new ClientCache((creds) => new GoogleGenAI({
  apiKey: creds.apiKey,
  vertexai: false,
  apiVersion: GOOGLE_API_VERSION,
  // No retryOptions: the SDK then sends each request exactly once.
  httpOptions: { baseUrl: creds.baseUrl ?? GOOGLE_DEFAULT_BASE_URL },
}));

export const googleAdapter: ProviderAdapter = {
  name: 'google',

  checkBaseUrl: (url) => checkHostRoot(url, 'Gemini', `/${GOOGLE_API_VERSION}/models/...`),

  async chat(creds, request, options) {
    using call = callSignal(options);
    try {
      const params = toGenerateParams(request);
      const response = await clients.get(creds).models.generateContent({
        ...params,
        config: { ...params.config, abortSignal: call.signal, httpOptions: { timeout: options.timeoutMs } },
      });
      return fromResponse(response);
    } catch (err) {
      throw toProviderError(err, creds.apiKey, call);
    }
  },

  async *chatStream(creds, request, options) {
    using call = callSignal(options);
    try {
      const params = toGenerateParams(request);
      const stream = await clients.get(creds).models.generateContentStream({
        ...params,
        config: { ...params.config, abortSignal: call.signal, httpOptions: { timeout: options.timeoutMs } },
      });
      const translator = new GenerateStreamTranslator();
      for await (const chunk of stream) {
        for (const out of translator.accept(chunk)) yield out;
      }
      if (!translator.finished) {
        throw new ProviderError({ provider: 'google', kind: 'connection', message: 'Gemini stream ended without a finish reason' });
      }
      yield translator.finish();
    } catch (err) {
      throw toProviderError(err, creds.apiKey, call);
    }
  },

  async testConnection(creds, options) {
    using call = callSignal(options);
    try {
      await clients.get(creds).models.list({
        config: { pageSize: 1, abortSignal: call.signal, httpOptions: { timeout: options.timeoutMs } },
      });
      return { probe: `GET /${GOOGLE_API_VERSION}/models?pageSize=1` };
    } catch (err) {
      throw toProviderError(err, creds.apiKey, call);
    }
  },
};
