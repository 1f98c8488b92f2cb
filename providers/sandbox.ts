import type { EmailProvider, MailProvider, OutgoingEmail, OutgoingMail } from './types.js';

/** Where the sandbox keeps what it "sent"; the worker passes one that writes to Postgres. */
export interface SandboxStore {
  storeEmail(message: OutgoingEmail): Promise<void>;
  storeMail(piece: OutgoingMail): Promise<void>;
}

/** The default provider: sends nothing, keeps exactly what would have gone out. */
export function sandboxProviders(store: SandboxStore): { email: EmailProvider; mail: MailProvider } {
  return {
    email: {
      name: 'sandbox',
      channel: 'email',
      async sendEmail(message) {
        await store.storeEmail(message);
        return { providerMessageId: `sandbox-${message.messageId}` };
      },
    },
    mail: {
      name: 'sandbox',
      channel: 'mail',
      async sendMail(piece) {
        await store.storeMail(piece);
        return { providerMessageId: `sandbox-${piece.messageId}` };
      },
    },
  };
}
