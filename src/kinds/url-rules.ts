/**
 * Which hosts are this machine: the one place plain http is allowed, for the API base URL
 * (api/client.ts) and for a webhook's destination (kinds/webhook.ts) alike. Pure.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
