import nodemailer, { type Transporter } from 'nodemailer';
import { ProviderError, type EmailProvider } from './types.js';

const transports = new Map<string, Transporter>();

function transportFor(credentials: Record<string, unknown>): Transporter {
  const key = JSON.stringify(credentials);
  let transport = transports.get(key);
  if (!transport) {
    const { host, port, secure, username, password } = credentials as { host: string; port: number; secure?: boolean; username?: string; password?: string };
    transport = nodemailer.createTransport({
      host,
      port,
      secure: secure ?? port === 465,
      auth: username ? { user: username, pass: password ?? '' } : undefined,
      pool: true,
      maxConnections: 5,
      connectionTimeout: 10_000,
      socketTimeout: 30_000,
      tls: { rejectUnauthorized: host !== '127.0.0.1' && host !== 'localhost' },
    });
    transports.set(key, transport);
  }
  return transport;
}

/** Plain SMTP through nodemailer. SMTP has no idempotency keys, so the Message-ID carries ours. */
export const smtpProvider: EmailProvider = {
  name: 'smtp',
  channel: 'email',
  async sendEmail(message, credentials) {
    if (typeof credentials.host !== 'string') throw new ProviderError('smtp is chosen but the tenant has no smtp settings', false);
    const domain = message.from.email.split('@')[1] ?? 'localhost';
    try {
      const info: { messageId: string } = await transportFor(credentials).sendMail({
        from: { address: message.from.email, name: message.from.name ?? '' },
        to: { address: message.to.email, name: message.to.name ?? '' },
        subject: message.subject,
        html: message.html,
        text: message.text,
        headers: message.headers,
        messageId: `<${message.messageId}@${domain}>`,
      });
      return { providerMessageId: info.messageId };
    } catch (error) {
      const e = error as { responseCode?: number; code?: string; message: string };
      // 4xx replies and connection trouble are temporary in SMTP; 5xx replies are final.
      const retryable = e.responseCode === undefined ? true : e.responseCode < 500;
      throw new ProviderError(`smtp: ${e.message}`, retryable, e.responseCode);
    }
  },
};
