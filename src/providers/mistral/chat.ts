import { callSignal } from '../shared/callSignal.ts';
import { ProviderError, type CallOptions, type ChatRequest, type ChatResult, type ProviderCredentials, type StreamEvent } from '../types.ts';
import { mistralClients, requestOptions } from './client.ts';
import { toProviderError } from './errors.ts';
import { toChatParams } from './request.ts';
import { CompletionStreamTranslator, fromCompletion } from './response.ts';

export async function chat(creds: ProviderCredentials, request: ChatRequest, options: CallOptions): Promise<ChatResult> {
  using call = callSignal(options);
  try {
    const response = await mistralClients.get(creds).chat.complete(toChatParams(request), requestOptions(options, call));
    return fromCompletion(response);
  } catch (err) {
    throw toProviderError(err, creds.apiKey, call);
  }
}

export async function* chatStream(creds: ProviderCredentials, request: ChatRequest, options: CallOptions): AsyncGenerator<StreamEvent> {
  using call = callSignal(options);
  try {
    const stream = await mistralClients.get(creds).chat.stream(
      { ...toChatParams(request), stream: true },
      requestOptions(options, call),
    );
    const translator = new CompletionStreamTranslator();
    for await (const event of stream) {
      for (const out of translator.accept(event.data)) yield out;
    }
    if (!translator.finished) {
      throw new ProviderError({ provider: 'mistral', kind: 'connection', message: 'Mistral stream ended without a finish reason' });
    }
    yield translator.finish();
  } catch (err) {
    throw toProviderError(err, creds.apiKey, call);
  }
}
