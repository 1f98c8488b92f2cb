import { createHash } from 'node:crypto';
import type { Message, Rendering } from './messages.js';
import { withFooter, type TemplateRenderer, type TemplateSource } from './render.js';
import type { TemplateVersion } from './templates.js';
import { signUnsubscribeToken } from './unsubscribe.js';

/** The email request as the ledger keeps it: one recipient of a SendPost-shaped body. */
export interface EmailRequest {
  from: { email: string; name?: string };
  to: { email: string; name?: string; customFields?: Record<string, unknown> };
  subject?: string;
  htmlBody?: string;
  textBody?: string;
  ippool?: string;
  groups?: string[];
  trackOpens?: boolean;
  trackClicks?: boolean;
}

export interface ComposeContext {
  renderer: TemplateRenderer;
  publicUrl: string;
  unsubscribeSecret: string;
  postalAddress?: string;
  /** The saved template the message names, at the version to render; absent for inline content. */
  template?: TemplateVersion;
}

export function unsubscribeUrl(ctx: Pick<ComposeContext, 'publicUrl' | 'unsubscribeSecret'>, message: Pick<Message, 'tenantId' | 'channel' | 'recipientKey' | 'campaignId'>): string {
  const token = signUnsubscribeToken(
    { tenantId: message.tenantId, channel: message.channel, recipient: message.recipientKey, campaignId: message.campaignId ?? undefined },
    ctx.unsubscribeSecret,
  );
  return `${ctx.publicUrl}/u/${token}`;
}

const sources = new WeakMap<TemplateVersion, TemplateSource>();

function sourceOf(message: Message, template: TemplateVersion | undefined): TemplateSource {
  if (template) {
    let source = sources.get(template);
    if (!source) {
      source = { cacheKey: `${template.templateId}@${template.version}`, subject: template.subject, html: template.html, text: template.text };
      sources.set(template, source);
    }
    return source;
  }
  const email = message.request as unknown as EmailRequest;
  const digest = createHash('sha256').update(`${email.subject}\u0000${email.htmlBody}\u0000${email.textBody ?? ''}`).digest('base64url');
  return { cacheKey: `inline:${digest}`, subject: email.subject, html: email.htmlBody ?? '', text: email.textBody };
}

/** The variables a template sees: the contact's own fields, SendPost customFields, and `unsubscribe`. */
export function variablesOf(message: Message, unsubscribe: string): Record<string, unknown> {
  if (message.channel === 'mail') return { ...message.request, unsubscribe };
  const { to } = message.request as unknown as EmailRequest;
  return { email: to.email, name: to.name, ...to.customFields, customFields: to.customFields ?? {}, unsubscribe };
}

/**
 * Renders one message for its recipient: their unsubscribe link, the tenant's footer, and for email
 * the List-Unsubscribe headers (RFC 8058 one-click) beside the caller's own headers.
 */
export function composeMessage(ctx: ComposeContext, message: Message): Rendering {
  const unsubscribe = unsubscribeUrl(ctx, message);
  const rendered = ctx.renderer.render(message.tenantId, sourceOf(message, ctx.template), variablesOf(message, unsubscribe));
  if (message.channel === 'mail') return { html: rendered.html, headers: message.headers };
  const { html, text, subject } = withFooter(rendered, ctx.postalAddress);
  return {
    subject,
    html,
    text,
    headers: {
      ...message.headers,
      'List-Unsubscribe': `<${unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      // Providers echo headers in their events: how an event finds its message when their id does not.
      'X-Mailflow-Message-Id': message.id,
    },
  };
}
