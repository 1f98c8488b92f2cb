import { apiCredentials, postJson } from './http.js';
import { ProviderError, type EmailProvider } from './types.js';

export const SENDPOST_DEFAULT_BASE = 'https://api.sendpost.io';

/** SendPost's sub-account email API: one recipient per call, since every recipient gets their own rendering. */
export const sendpostProvider: EmailProvider = {
  name: 'sendpost',
  channel: 'email',
  async sendEmail(message, credentials, signal) {
    const { apiKey, base } = apiCredentials('sendpost', credentials, SENDPOST_DEFAULT_BASE);
    const body = {
      from: message.from,
      to: [message.to],
      subject: message.subject,
      htmlBody: message.html,
      ...(message.text !== undefined && { textBody: message.text }),
      headers: message.headers,
      ...(message.ippool && { ippool: message.ippool }),
      ...(message.groups?.length && { groups: message.groups }),
      ...(message.trackOpens !== undefined && { trackOpens: message.trackOpens }),
      ...(message.trackClicks !== undefined && { trackClicks: message.trackClicks }),
    };
    const answer = await postJson('sendpost', `${base}/api/v1/subaccount/email/`, body, { 'X-SubAccount-ApiKey': apiKey, 'Idempotency-Key': message.messageId }, signal);
    // SendPost answers with one entry per recipient: [{ messageId, errorCode, ... }].
    const first = Array.isArray(answer) ? (answer[0] as { messageId?: string; errorCode?: number; errorMessage?: string } | undefined) : undefined;
    if (first?.errorCode) throw new ProviderError(`sendpost refused the recipient: ${first.errorMessage ?? `error ${first.errorCode}`}`, false);
    if (!first?.messageId) throw new ProviderError(`sendpost answered without a messageId: ${JSON.stringify(answer).slice(0, 200)}`, true);
    return { providerMessageId: first.messageId };
  },
};
