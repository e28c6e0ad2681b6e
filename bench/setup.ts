/**
 * Provisioning through the gateway's public API, exactly as a user would: a project, a public API
 * key, and the project's OpenAI key pointing at the simulator.
 */
export const MODEL = 'gpt-4o-mini';
export const MESSAGES = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Say hello in one short sentence.' },
];

export interface Project {
  id: string;
  apiKey: string;
}

async function post(url: string, token: string, body: unknown): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${new URL(url).pathname} -> ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

export async function provisionProject(gatewayUrl: string, adminToken: string, simulatorUrl: string, name: string): Promise<Project> {
  const project = await post(`${gatewayUrl}/projects`, adminToken, { name });
  const key = await post(`${gatewayUrl}/projects/${project.id}/api-keys`, adminToken, { name: `${name} key` });
  await post(`${gatewayUrl}/projects/${project.id}/ai/providers`, adminToken, {
    provider: 'openai',
    // Any key the simulator accepts; shaped like a real one so the gateway's key checks apply.
    api_key: `sk-bench-${name.replace(/\W/g, '')}-0123456789abcdef0123456789`,
    base_url: `${simulatorUrl}/v1`,
  });
  return { id: project.id, apiKey: key.key };
}

/** One chat through the gateway, checked for shape: the run is refused if the path is broken. */
export async function smokeChat(gatewayUrl: string, project: Project): Promise<{ costComputed: boolean }> {
  const res = await fetch(`${gatewayUrl}/api/ai/chat`, {
    method: 'POST',
    headers: { 'x-api-key': project.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: MESSAGES }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`smoke chat through the gateway failed: ${res.status} ${text.slice(0, 500)}`);
  const body = JSON.parse(text) as { content?: unknown; usage?: { total_tokens?: unknown }; cost_usd?: unknown };
  if (typeof body.content !== 'string' || !body.content || typeof body.usage?.total_tokens !== 'number') {
    throw new Error(`smoke chat returned an unexpected body: ${text.slice(0, 500)}`);
  }
  return { costComputed: typeof body.cost_usd === 'number' };
}
