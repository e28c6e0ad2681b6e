import Anthropic from '@anthropic-ai/sdk';
import { checkHostRoot } from '../shared/baseUrl.ts';
import { callSignal } from '../shared/callSignal.ts';
import { ClientCache } from '../shared/clientCache.ts';
import { providerFetch } from '../shared/fetch.ts';
import { ProviderError, type ProviderAdapter } from '../types.ts';
import { toProviderError } from './errors.ts';
import { toMessageParams } from './request.ts';
import { fromMessage, MessageStreamTranslator } from './response.ts';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

const clients = new ClientCache((creds) => new Anthropic({
  apiKey: creds.apiKey,
  baseURL: creds.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL,
  // The gateway has one retry policy; the SDK must not add its own.
  maxRetries: 0,
  fetch: providerFetch,
}));

export const anthropicAdapter: ProviderAdapter = {
  name: 'anthropic',

  checkBaseUrl: (url) => checkHostRoot(url, 'Anthropic', '/v1/messages'),

  async chat(creds, request, options) {
    using call = callSignal(options);
    try {
      const message = await clients.get(creds).messages.create(
        { ...toMessageParams(request), stream: false },
        { signal: call.signal, timeout: options.timeoutMs },
      );
      return fromMessage(message);
    } catch (err) {
      throw toProviderError(err, creds.apiKey, call);
    }
  },

  async *chatStream(creds, request, options) {
    using call = callSignal(options);
    try {
      const stream = await clients.get(creds).messages.create(
        { ...toMessageParams(request), stream: true },
        { signal: call.signal, timeout: options.timeoutMs },
      );
      const translator = new MessageStreamTranslator();
      for await (const event of stream) {
        for (const out of translator.accept(event)) yield out;
      }
      // The SDK ends the iteration quietly when its signal aborts, so a missing message_stop is
      // either our own abort (reported as cancelled or timeout below) or an unfinished stream.
      if (!translator.stopped) {
        throw call.signal.aborted
          ? new Error('stream aborted')
          : new ProviderError({ provider: 'anthropic', kind: 'connection', message: 'Anthropic stream ended before message_stop' });
      }
    } catch (err) {
      throw toProviderError(err, creds.apiKey, call);
    }
  },

  async testConnection(creds, options) {
    using call = callSignal(options);
    try {
      await clients.get(creds).models.list({ limit: 1 }, { signal: call.signal, timeout: options.timeoutMs });
      return { probe: 'GET /v1/models?limit=1' };
    } catch (err) {
      throw toProviderError(err, creds.apiKey, call);
    }
  },
};
