/** The path without trailing slashes; '' for the host root. */
export function basePath(url: URL): string {
  return url.pathname.replace(/\/+$/, '');
}

/** What the SDK receives: the URL as given, minus trailing slashes, so cached clients are shared. */
export function sdkBaseUrl(baseUrl: string | undefined, fallback: string): string {
  return (baseUrl ?? fallback).replace(/\/+$/, '');
}
