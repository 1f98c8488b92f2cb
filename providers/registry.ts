import { postalyticsProvider } from './postalytics.js';
import { sandboxProviders, type SandboxStore } from './sandbox.js';
import { sendpostProvider } from './sendpost.js';
import { smtpProvider } from './smtp.js';
import type { EmailProvider, MailProvider, Provider } from './types.js';

/** The providers a worker can send through, by name and channel; a platform adds its own adapters. */
export class ProviderRegistry {
  private readonly email = new Map<string, EmailProvider>();
  private readonly mail = new Map<string, MailProvider>();

  constructor(sandbox: SandboxStore, extra: Provider[] = []) {
    const { email, mail } = sandboxProviders(sandbox);
    for (const provider of [email, mail, sendpostProvider, smtpProvider, postalyticsProvider, ...extra]) this.register(provider);
  }

  register(provider: Provider): void {
    if (provider.channel === 'email') this.email.set(provider.name, provider);
    else this.mail.set(provider.name, provider);
  }

  emailProvider(name: string): EmailProvider | undefined {
    return this.email.get(name);
  }

  mailProvider(name: string): MailProvider | undefined {
    return this.mail.get(name);
  }
}
