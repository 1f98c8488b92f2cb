import { STATUS_CODES } from 'node:http';
import { Agent, request, type Dispatcher } from 'undici';
import { ProviderError } from './types.js';

/** Seconds or an HTTP date, as Retry-After allows, in milliseconds. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

// One keep-alive pool for every provider call of the process. undici's request() costs a fraction
// of fetch() per call, which shows at file-campaign volumes (a request per row).
const agent = new Agent({ keepAliveTimeout: 30_000 });

/**
 * POSTs JSON and sorts the outcome the way every HTTP provider needs: 2xx is the parsed body;
 * 429, 5xx, resets and timeouts are retryable (with Retry-After); any other status fails with the
 * provider's own words.
 */
export async function postJson(provider: string, url: string, body: unknown, headers: Record<string, string>, signal: AbortSignal): Promise<unknown> {
  let response: Dispatcher.ResponseData;
  let text: string;
  try {
    response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
      signal,
    });
    text = await response.body.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string }; code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new ProviderError(`${provider} could not be reached (${cause})`, true);
  }
  const status = response.statusCode;
  if (status >= 200 && status < 300) {
    try {
      return text ? JSON.parse(text) : {};
    } catch {
      return { raw: text };
    }
  }
  const reason = `${provider} answered ${status}: ${text.slice(0, 500) || STATUS_CODES[status] || 'no reason given'}`;
  const retryable = status === 429 || status === 408 || status >= 500;
  const retryAfter = response.headers['retry-after'];
  throw new ProviderError(reason, retryable, status, parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0]! : (retryAfter ?? null)));
}

/** The tenant's key for a provider and the API base (its own, or the provider's), or a refusal that says what to set. */
export function apiCredentials(provider: string, credentials: Record<string, unknown>, defaultBase: string): { apiKey: string; base: string } {
  const apiKey = credentials.apiKey;
  if (typeof apiKey !== 'string') throw new ProviderError(`${provider} is chosen but the tenant has no ${provider}.apiKey in its settings`, false);
  const base = typeof credentials.baseUrl === 'string' ? credentials.baseUrl : defaultBase;
  return { apiKey, base: base.replace(/\/$/, '') };
}

export const basicAuth = (user: string, password = '') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
