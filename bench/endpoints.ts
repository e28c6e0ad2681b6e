import type { Endpoint } from './measure.ts';
import { MESSAGES, MODEL } from './setup.ts';

/**
 * The same chat sent three ways: straight to the simulator (OpenAI's wire format), through this
 * gateway's public API, and through the peer gateway (which speaks OpenAI's format too).
 */
const openAIBody = (stream: boolean) => JSON.stringify({
  model: MODEL,
  messages: MESSAGES,
  ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
});

export function directEndpoint(simulatorUrl: string, stream: boolean, target = 'direct'): Endpoint {
  return {
    target,
    url: `${simulatorUrl}/v1/chat/completions`,
    headers: { authorization: 'Bearer sk-bench-direct-0123456789abcdef', 'content-type': 'application/json' },
    body: openAIBody(stream),
    ...(stream ? { expectInTail: 'data: [DONE]' } : {}),
  };
}

export function gatewayEndpoint(gatewayUrl: string, apiKey: string, stream: boolean, gatewayPid: number, target = 'gateway'): Endpoint {
  return {
    target,
    url: `${gatewayUrl}/api/ai/chat${stream ? '/stream' : ''}`,
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: MESSAGES }),
    ...(stream ? { expectInTail: '"done":true' } : {}),
    subjectPid: gatewayPid,
  };
}

export function peerEndpoint(peerUrl: string, simulatorUrl: string, stream: boolean, peerPid: number): Endpoint {
  return {
    target: 'peer',
    url: `${peerUrl}/v1/chat/completions`,
    headers: {
      authorization: 'Bearer sk-bench-peer-0123456789abcdef',
      'content-type': 'application/json',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${simulatorUrl}/v1`,
    },
    body: openAIBody(stream),
    ...(stream ? { expectInTail: 'data: [DONE]' } : {}),
    subjectPid: peerPid,
  };
}
