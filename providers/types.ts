/** What every provider adapter is given and gives back; adapters know nothing of tenants' storage. */

export interface Address {
  email: string;
  name?: string;
}

export interface OutgoingEmail {
  /** Our message id; also the idempotency key the provider is given. */
  messageId: string;
  from: Address;
  to: Address;
  subject: string;
  html: string;
  text?: string;
  headers: Record<string, string>;
  ippool?: string;
  groups?: string[];
  trackOpens?: boolean;
  trackClicks?: boolean;
}

export interface OutgoingMail {
  messageId: string;
  /** The contact as Postalytics takes it: flat fields, `var_field_N` included. */
  contact: Record<string, string>;
  /** The rendered mail piece. */
  html: string;
  /** The drip campaign's endpoint id at the mail provider. */
  endPoint?: string;
}

export interface ProviderReceipt {
  providerMessageId: string;
}

/**
 * A provider's refusal. `retryable` for 429, 5xx, resets and timeouts (with the wait the provider
 * asked for, if any); otherwise the message fails with `reason`.
 */
export class ProviderError extends Error {
  constructor(
    readonly reason: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(reason);
    this.name = 'ProviderError';
  }
}

export interface EmailProvider {
  readonly name: string;
  readonly channel: 'email';
  sendEmail(message: OutgoingEmail, credentials: Record<string, unknown>, signal: AbortSignal): Promise<ProviderReceipt>;
}

export interface MailProvider {
  readonly name: string;
  readonly channel: 'mail';
  sendMail(piece: OutgoingMail, credentials: Record<string, unknown>, signal: AbortSignal): Promise<ProviderReceipt>;
}

export type Provider = EmailProvider | MailProvider;
