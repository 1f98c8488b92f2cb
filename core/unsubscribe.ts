import { hash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const claimsSchema = z.object({
  t: z.string(), // tenant
  c: z.enum(['email', 'mail']),
  r: z.string(), // recipient
  k: z.string().optional(), // campaign
});
export interface UnsubscribeClaims {
  tenantId: string;
  channel: 'email' | 'mail';
  recipient: string;
  campaignId?: string;
}

// The MAC is SHA3-256 over secret ‖ payload, cut to 132 bits (22 base64url characters). Unlike
// SHA-2, SHA-3 has no length extension, so a keyed prefix is a sound MAC (KMAC is built on the same
// property); and Node's one-shot hash costs a fifth of createHmac's per-call set-up, which matters
// when every recipient's link is signed on the render path. Secrets have a fixed length and the
// payload is base64url, so the concatenation is unambiguous.
const MAC_CHARS = 22;
const mac = (payload: string, secret: string) => hash('sha3-256', `${secret}.${payload}`, 'base64url').slice(0, MAC_CHARS);

/** `<payload>.<mac>`: the claims in base64url JSON and a truncated MAC under the tenant's secret. */
export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: string): string {
  const body: { t: string; c: string; r: string; k?: string } = { t: claims.tenantId, c: claims.channel, r: claims.recipient };
  if (claims.campaignId) body.k = claims.campaignId;
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

/** The claims of a token, unverified: which tenant's secret to check it with. */
export function readUnsubscribeToken(token: string): UnsubscribeClaims | undefined {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  try {
    const parsed = claimsSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!parsed.success) return undefined;
    return { tenantId: parsed.data.t, channel: parsed.data.c, recipient: parsed.data.r, campaignId: parsed.data.k };
  } catch {
    return undefined;
  }
}

export function verifyUnsubscribeToken(token: string, secret: string): boolean {
  const [payload, signature] = token.split('.');
  if (!payload || !signature) return false;
  const expected = Buffer.from(mac(payload, secret));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
