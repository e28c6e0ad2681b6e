/**
 * Checks shared by every provider's base URL: http(s) only, and nothing in it that could carry a
 * secret or change the request in ways the SDK does not expect.
 */
export function checkUrlShape(url: URL): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'base URL must use http or https';
  if (url.username || url.password) return 'base URL must not contain credentials';
  if (url.search) return 'base URL must not contain a query string';
  if (url.hash) return 'base URL must not contain a fragment';
  return undefined;
}

/** For SDKs that append their own versioned paths: the URL must be a host root. */
export function checkHostRoot(url: URL, providerLabel: string, example: string): string | undefined {
  const shape = checkUrlShape(url);
  if (shape) return shape;
  if (url.pathname !== '/' && url.pathname !== '') {
    return `${providerLabel} base URL must be a host root without a path (the SDK adds ${example} itself), e.g. ${url.origin}`;
  }
  return undefined;
}
