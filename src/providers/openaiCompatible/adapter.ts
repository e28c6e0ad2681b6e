import {
  type CallOptions,
  type ChatRequest,
  type ChatResult,
  type ConnectivityResult,
  type ProviderAdapter,
  type ProviderCredentials,
  type StreamEvent,
} from '../types.ts';
import { callSignal, type CallSignal } from '../shared/callSignal.ts';
import { ClientCache } from '../shared/clientCache.ts';
import { sdkBaseUrl } from './baseUrl.ts';
import { mapSdkError, type SdkErrorClasses } from './errors.ts';
import { StreamReader, toChatResult, type ResponseDialect } from './response.ts';

export interface SdkCallOptions {
  signal: AbortSignal;
  timeout: number;
}

/** The three calls the gateway makes, expressed over one provider's official SDK client. */
export interface CompatibleClient<P> {
  complete(params: P, options: SdkCallOptions): Promise<unknown>;
  stream(params: P, options: SdkCallOptions): Promise<AsyncIterable<unknown>>;
  listModels(options: SdkCallOptions): Promise<unknown>;
}

/** Everything that differs between OpenAI, DeepSeek and Groq; the adapter logic is shared. */
export interface CompatibleProvider<P> extends ResponseDialect {
  defaultBaseUrl: string;
  /** What testConnection reports it did, e.g. "GET /v1/models". */
  modelsProbe: string;
  errorClasses: SdkErrorClasses;
  checkBaseUrl(url: URL): string | undefined;
  createClient(apiKey: string, baseUrl: string): CompatibleClient<P>;
  toParams(request: ChatRequest, streaming: boolean): P;
}

const CLIENTS_PER_PROVIDER = 64;

export function createCompatibleAdapter<P>(provider: CompatibleProvider<P>): ProviderAdapter {
  const clients = new ClientCache<CompatibleClient<P>>(
    (creds) => provider.createClient(creds.apiKey, creds.baseUrl ?? provider.defaultBaseUrl),
    CLIENTS_PER_PROVIDER,
  );
  const clientFor = (creds: ProviderCredentials) =>
    clients.get({ apiKey: creds.apiKey, baseUrl: sdkBaseUrl(creds.baseUrl, provider.defaultBaseUrl) });
  const fail = (err: unknown, apiKey: string, call: CallSignal) =>
    mapSdkError(provider.provider, provider.errorClasses, err, { apiKey, call });

  return {
    name: provider.provider,
    checkBaseUrl: (url) => provider.checkBaseUrl(url),

    async chat(creds, request, options): Promise<ChatResult> {
      using call = callSignal(options);
      try {
        const params = provider.toParams(request, false);
        const completion = await clientFor(creds).complete(params, sdkOptions(options, call));
        return toChatResult(completion, provider);
      } catch (err) {
        throw fail(err, creds.apiKey, call);
      }
    },

    async *chatStream(creds, request, options): AsyncIterable<StreamEvent> {
      // The SDK's own timeout stops counting once headers arrive; the call signal bounds the body too.
      using call = callSignal(options);
      const reader = new StreamReader(provider);
      let chunks: AsyncIterable<unknown>;
      try {
        chunks = await clientFor(creds).stream(provider.toParams(request, true), sdkOptions(options, call));
      } catch (err) {
        throw fail(err, creds.apiKey, call);
      }
      try {
        for await (const chunk of chunks) {
          for (const event of reader.read(chunk)) yield event;
        }
      } catch (err) {
        throw fail(err, creds.apiKey, call);
      }
      // The SDKs end an aborted stream quietly, as if it were complete; that must not pass as success.
      if (call.signal.aborted) throw fail(new Error('aborted'), creds.apiKey, call);
      yield reader.finish();
    },

    async testConnection(creds, options): Promise<ConnectivityResult> {
      using call = callSignal(options);
      try {
        await clientFor(creds).listModels(sdkOptions(options, call));
      } catch (err) {
        throw fail(err, creds.apiKey, call);
      }
      return { probe: provider.modelsProbe };
    },
  };
}

function sdkOptions(options: CallOptions, call: CallSignal): SdkCallOptions {
  return { signal: call.signal, timeout: options.timeoutMs };
}
