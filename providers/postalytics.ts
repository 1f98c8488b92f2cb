import { apiCredentials, basicAuth, postJson } from './http.js';
import { ProviderError, type MailProvider } from './types.js';

export const POSTALYTICS_DEFAULT_BASE = 'https://api.postalytics.com';

/** Postalytics' triggered drip send: the flat contact to the campaign's endpoint, HTTP Basic with the key as user name. */
export const postalyticsProvider: MailProvider = {
  name: 'postalytics',
  channel: 'mail',
  async sendMail(piece, credentials, signal) {
    const { apiKey, base } = apiCredentials('postalytics', credentials, POSTALYTICS_DEFAULT_BASE);
    if (!piece.endPoint) throw new ProviderError("postalytics needs the drip campaign's endpoint id: set provider.postalytics.endPoint on the campaign", false);
    const answer = (await postJson(
      'postalytics',
      `${base}/api/v1/send/${encodeURIComponent(piece.endPoint)}`,
      piece.contact,
      { authorization: basicAuth(apiKey), 'Idempotency-Key': piece.messageId },
      signal,
    )) as { id?: string | number; mailpiece_id?: string | number };
    const id = answer.mailpiece_id ?? answer.id;
    if (id === undefined) throw new ProviderError(`postalytics answered without a mail piece id: ${JSON.stringify(answer).slice(0, 200)}`, true);
    return { providerMessageId: String(id) };
  },
};
