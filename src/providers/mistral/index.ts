import { checkHostRoot } from '../shared/baseUrl.ts';
import { callSignal } from '../shared/callSignal.ts';
import type { ProviderAdapter } from '../types.ts';
import { chat, chatStream } from './chat.ts';
import { mistralClients, requestOptions } from './client.ts';
import { toProviderError } from './errors.ts';

export { MISTRAL_DEFAULT_BASE_URL } from './client.ts';

export const mistralAdapter: ProviderAdapter = {
  name: 'mistral',

  checkBaseUrl: (url) => checkHostRoot(url, 'Mistral', '/v1/chat/completions'),

  chat,

  chatStream,

  async testConnection(creds, options) {
    using call = callSignal(options);
    try {
      await mistralClients.get(creds).models.list({}, requestOptions(options, call));
      return { probe: 'GET /v1/models' };
    } catch (err) {
      throw toProviderError(err, creds.apiKey, call);
    }
  },
};
