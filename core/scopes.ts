import { z } from 'zod';

export const SCOPES = [
  'send',
  'flow',
  'files',
  'campaigns',
  'templates',
  'suppressions',
  'webhooks',
  'events:read',
  'settings',
  'keys',
] as const;

export const scopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof scopeSchema>;

/** Who is calling: the operator (admin key) or a tenant's key with its scopes. */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'tenant'; tenantId: string; keyId: string; scopes: readonly Scope[] };
