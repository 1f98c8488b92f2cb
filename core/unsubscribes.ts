import type { Db } from './db.js';
import { withTransaction } from './db.js';
import { badRequest } from './errors.js';
import { appendEvent } from './events.js';
import { requestExit } from './flows.js';
import { newId } from './ids.js';
import { readUnsubscribeToken, verifyUnsubscribeToken, type UnsubscribeClaims } from './unsubscribe.js';

/**
 * Honours an unsubscribe link: checks the token against its tenant's secret, suppresses the
 * recipient at account level and records `message.unsubscribed`, once however often it is used,
 * and makes the contact's running flows in that tenant exit.
 * A forged or altered token changes nothing.
 */
export async function unsubscribe(db: Db, token: string): Promise<{ claims: UnsubscribeClaims; tenantName: string; already: boolean }> {
  const claims = readUnsubscribeToken(token);
  const invalid = () => badRequest('This unsubscribe link is not valid; it may have been altered or cut short');
  if (!claims) throw invalid();
  const { rows } = await db.query<{ name: string; unsubscribe_secret: string }>('SELECT name, unsubscribe_secret FROM tenants WHERE id = $1', [claims.tenantId]);
  if (!rows[0] || !verifyUnsubscribeToken(token, rows[0].unsubscribe_secret)) throw invalid();
  const already = await withTransaction(db, async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO suppressions (id, tenant_id, channel, scope, campaign_id, value_key, value, reason)
       VALUES ($1, $2, $3, 'account', '', $4, $4, 'unsubscribed')
       ON CONFLICT (tenant_id, channel, value_key, scope, campaign_id) DO NOTHING`,
      [newId('sup'), claims.tenantId, claims.channel, claims.recipient],
    );
    // Every running flow of this contact in this tenant ends before its next step.
    await requestExit(tx, claims.tenantId, { recipientKey: claims.recipient }, 'unsubscribed through the link in a message');
    if (!inserted.rowCount) return true;
    await appendEvent(tx, {
      tenantId: claims.tenantId,
      type: 'message.unsubscribed',
      campaignId: claims.campaignId,
      data: { channel: claims.channel, recipient: claims.recipient, source: 'unsubscribe_link' },
    });
    return false;
  });
  return { claims, tenantName: rows[0].name, already };
}
