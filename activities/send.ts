import { ApplicationFailure, Context, heartbeat, sleep } from '@temporalio/activity';
import { getCampaign } from '../core/campaigns.js';
import { composeMessage } from '../core/compose.js';
import type { EmailRequest } from '../core/compose.js';
import type { Config } from '../core/config.js';
import type { Db } from '../core/db.js';
import { getMessage, isFinal, transitionMessage, transitionMessages, type Message, type MessageStatus, type Rendering, type Transition } from '../core/messages.js';
import { reserveSlot, reserveSlots } from '../core/rate-limit.js';
import { TemplateRenderer } from '../core/render.js';
import { sandboxWriter } from '../core/sandbox.js';
import { checkSuppressed } from '../core/suppressions.js';
import { DEFAULT_RATE, type TenantSettings } from '../core/tenant-settings.js';
import { getTemplate, type TemplateVersion } from '../core/templates.js';
import { ProviderRegistry } from '../providers/registry.js';
import { ProviderError, type ProviderReceipt } from '../providers/types.js';
import { inParallel } from '../core/in-parallel.js';

export interface SendOutcome {
  status: MessageStatus;
  reason?: string;
}

const PROVIDER_CALL_TIMEOUT_MS = 30_000;
const OUTCOMES_PER_COMMIT = 100;

async function tenantContext(db: Db, tenantId: string): Promise<{ settings: TenantSettings; unsubscribeSecret: string }> {
  const { rows } = await db.query<{ settings: TenantSettings; unsubscribe_secret: string }>('SELECT settings, unsubscribe_secret FROM tenants WHERE id = $1', [tenantId]);
  if (!rows[0]) throw ApplicationFailure.nonRetryable(`tenant ${tenantId} no longer exists`, 'NotFound');
  return { settings: rows[0].settings, unsubscribeSecret: rows[0].unsubscribe_secret };
}

async function loadMessage(db: Db, tenantId: string, messageId: string): Promise<Message> {
  // The API commits the row before the relay starts the workflow, so a missing row is a real error.
  return getMessage(db, tenantId, messageId).catch(() => {
    throw ApplicationFailure.nonRetryable(`message ${messageId} is not in the ledger`, 'NotFound');
  });
}

/** Heartbeats while `work` runs, so a worker that died mid-send is noticed and the work retried. */
async function withHeartbeats<T>(work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => heartbeat(), 2_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Aborts one provider call when the activity is cancelled or the call outlives its timeout. */
const providerCallSignal = () => AbortSignal.any([Context.current().cancellationSignal, AbortSignal.timeout(PROVIDER_CALL_TIMEOUT_MS)]);

export function sendActivities(deps: { db: Db; config: Config; providers?: ProviderRegistry }) {
  const { db, config } = deps;
  const renderer = new TemplateRenderer();
  const storeSandboxMessage = sandboxWriter(db);
  const providers =
    deps.providers ??
    new ProviderRegistry({
      storeEmail: (m) => storeSandboxMessage({ messageId: m.messageId, channel: 'email', recipient: m.to.email, subject: m.subject, html: m.html, text: m.text, headers: m.headers, payload: { from: m.from, to: m.to, ippool: m.ippool, groups: m.groups, trackOpens: m.trackOpens, trackClicks: m.trackClicks } }),
      storeMail: (p) => storeSandboxMessage({ messageId: p.messageId, channel: 'mail', recipient: Object.values(p.contact).join(' '), html: p.html, headers: {}, payload: { contact: p.contact, endPoint: p.endPoint } }),
    });

  /** The campaign's mail endpoint (Postalytics' `endPoint`), when the message belongs to a campaign that names one. */
  const mailEndPoint = async (message: Message): Promise<string | undefined> =>
    message.channel === 'mail' && message.campaignId ? (await getCampaign(db, message.tenantId, message.campaignId, message.campaignVersion ?? undefined)).provider?.postalytics?.endPoint : undefined;

  /** One provider call for a rendered message, with the message id as idempotency key. */
  const callProvider = async (message: Message, settings: TenantSettings, providerName: string, credentials: Record<string, unknown>, endPoint: string | undefined, signal: AbortSignal): Promise<ProviderReceipt> => {
    if (message.channel === 'email') {
      const provider = providers.emailProvider(providerName);
      if (!provider) throw new ProviderError(`no email provider named ${providerName} is registered`, false);
      const request = message.request as unknown as EmailRequest;
      return provider.sendEmail(
        {
          messageId: message.id,
          from: request.from,
          to: { email: request.to.email, name: request.to.name },
          subject: message.rendered!.subject ?? '',
          html: message.rendered!.html,
          text: message.rendered!.text,
          headers: message.rendered!.headers,
          ippool: request.ippool ?? settings.ippool,
          groups: request.groups,
          trackOpens: request.trackOpens,
          trackClicks: request.trackClicks,
        },
        credentials,
        signal,
      );
    }
    const provider = providers.mailProvider(providerName);
    if (!provider) throw new ProviderError(`no mail provider named ${providerName} is registered`, false);
    const contact = Object.fromEntries(Object.entries(message.request).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    return provider.sendMail({ messageId: message.id, contact, html: message.rendered!.html, endPoint }, credentials, signal);
  };
  const providerFor = (channel: Message['channel'], settings: TenantSettings) => {
    const providerName = (channel === 'email' ? settings.providers?.email : settings.providers?.mail) ?? 'sandbox';
    return { providerName, credentials: ((settings as Record<string, unknown>)[providerName] ?? {}) as Record<string, unknown> };
  };
  const render = (message: Message, tenant: { settings: TenantSettings; unsubscribeSecret: string }, template: TemplateVersion | undefined): Rendering => {
    try {
      return composeMessage({ renderer, publicUrl: config.publicUrl, unsubscribeSecret: tenant.unsubscribeSecret, postalAddress: tenant.settings.postalAddress, template }, message);
    } catch (error) {
      throw ApplicationFailure.nonRetryable(`rendering failed: ${(error as Error).message}`, 'RenderFailed');
    }
  };

  return {
    /** Suppression check, then rendering into the ledger. Done once: a retry finds the result. */
    async prepareMessage(tenantId: string, messageId: string): Promise<SendOutcome> {
      const message = await loadMessage(db, tenantId, messageId);
      if (message.status !== 'accepted') return { status: message.status, reason: message.statusReason ?? undefined };
      const hits = await checkSuppressed(db, tenantId, message.channel, [message.recipientKey], message.campaignId);
      const hit = hits.get(message.recipientKey);
      if (hit) {
        const reason = `suppressed at ${hit.scope} level: ${hit.reason}`;
        await transitionMessage(db, message, { status: 'dropped', reason, event: { type: 'message.dropped', data: { scope: hit.scope } } });
        return { status: 'dropped', reason };
      }
      const tenant = await tenantContext(db, tenantId);
      const template = message.templateId ? await getTemplate(db, tenantId, message.templateId, message.templateVersion ?? undefined) : undefined;
      const rendered = render(message, tenant, template);
      await transitionMessage(db, message, { status: 'rendered', rendered, templateVersion: template?.version });
      return { status: 'rendered' };
    },

    /**
     * The provider call, with the message id as idempotency key, inside the tenant's provider rate
     * limit. Transient failures are thrown for Temporal to retry (after Retry-After where given);
     * a refusal ends the message as failed with the provider's reason.
     */
    async deliverMessage(tenantId: string, messageId: string): Promise<SendOutcome> {
      const message = await loadMessage(db, tenantId, messageId);
      if (isFinal(message.status)) return { status: message.status, reason: message.statusReason ?? undefined };
      if (message.status !== 'rendered' || !message.rendered) throw ApplicationFailure.nonRetryable(`message ${messageId} was not rendered`, 'NotRendered');
      const { settings } = await tenantContext(db, tenantId);
      const { providerName, credentials } = providerFor(message.channel, settings);
      const perSecond = settings.rateLimits?.providerPerSecond ?? DEFAULT_RATE.providerPerSecond;
      const wait = await reserveSlot(db, `provider:${tenantId}:${providerName}`, { perSecond, burst: Math.max(1, Math.ceil(perSecond)) });
      if (wait > 0) await sleep(wait);

      const endPoint = await mailEndPoint(message);
      let receipt: ProviderReceipt;
      try {
        receipt = await withHeartbeats(() => callProvider(message, settings, providerName, credentials, endPoint, providerCallSignal()));
      } catch (error) {
        if (error instanceof ProviderError && !error.retryable) {
          await transitionMessage(db, message, { status: 'failed', reason: error.reason, provider: providerName, event: { type: 'message.failed', data: { status: error.status } } });
          return { status: 'failed', reason: error.reason };
        }
        const reason = error instanceof Error ? error.message : String(error);
        throw ApplicationFailure.create({
          message: reason,
          type: 'ProviderUnavailable',
          nextRetryDelay: error instanceof ProviderError && error.retryAfterMs !== undefined ? error.retryAfterMs : undefined,
        });
      }
      await transitionMessage(db, message, { status: 'sent', provider: providerName, providerMessageId: receipt.providerMessageId, event: { type: 'message.processed' } });
      return { status: 'sent' };
    },

    /**
     * Many accepted messages of one tenant at once, as file chunks send them: one suppression
     * query for all, rendering in-process, the batch's rate-limit slots in one statement, provider
     * calls `inFlight` at a time, and the outcomes (rendering, status and event together) committed
     * a hundred at a time. Messages already final are skipped, so a retried batch calls the
     * provider again only for those whose outcome was not committed, with the same idempotency
     * key. Provider errors worth retrying are thrown after the rest of the batch is recorded.
     */
    async sendBatch(tenantId: string, batch: Message[], inFlight = 16): Promise<void> {
      // The ledger rows as the caller just read or wrote them (a file chunk's accept returns them).
      const messages = batch.filter((m) => m.tenantId === tenantId && !isFinal(m.status));
      if (!messages.length) return;
      const tenant = await tenantContext(db, tenantId);
      const stage: Array<{ message: Message; change: Transition }> = [];
      const renderedNow = new Map<string, Pick<Transition, 'rendered' | 'templateVersion'>>();
      const accepted = messages.filter((m) => m.status === 'accepted');
      const templates = new Map<string, TemplateVersion>();
      const groups = [...new Set(accepted.map((m) => `${m.channel}\u0000${m.campaignId ?? ''}`))].map((k) => k.split('\u0000') as [string, string]);
      for (const [channel, campaignId] of groups) {
        const group = accepted.filter((m) => m.channel === channel && (m.campaignId ?? '') === campaignId);
        const hits = await checkSuppressed(db, tenantId, channel as Message['channel'], group.map((m) => m.recipientKey), campaignId || null);
        for (const message of group) {
          const hit = hits.get(message.recipientKey);
          if (hit) {
            stage.push({ message, change: { status: 'dropped', reason: `suppressed at ${hit.scope} level: ${hit.reason}`, event: { type: 'message.dropped', data: { scope: hit.scope } } } });
            continue;
          }
          const key = message.templateId ? `${message.templateId}@${message.templateVersion ?? ''}` : '';
          if (message.templateId && !templates.has(key)) templates.set(key, await getTemplate(db, tenantId, message.templateId, message.templateVersion ?? undefined));
          const template = message.templateId ? templates.get(key) : undefined;
          try {
            message.rendered = render(message, tenant, template);
          } catch (error) {
            stage.push({ message, change: { status: 'failed', reason: (error as Error).message, event: { type: 'message.failed' } } });
            continue;
          }
          // Kept in memory and written with the outcome: one write of the row per message, not two.
          // A message whose outcome was never written is rendered again by the retried batch.
          message.status = 'rendered';
          renderedNow.set(message.id, { rendered: message.rendered, templateVersion: template?.version });
        }
      }
      await transitionMessages(db, stage);

      const toDeliver = messages.filter((m) => m.status === 'rendered' && m.rendered);
      // Outcomes are committed every OUTCOMES_PER_COMMIT answers while the batch goes on, so a worker
      // that dies mid-batch leaves few calls to repeat (with the same idempotency key) after a restart.
      const recorded: Array<Promise<void>> = [];
      let recordFailure: unknown;
      let unrecorded: Array<{ message: Message; change: Transition }> = [];
      const commitOutcomes = () => {
        if (!unrecorded.length) return;
        recorded.push(transitionMessages(db, unrecorded).catch((error) => void (recordFailure ??= error)));
        unrecorded = [];
      };
      const record = (message: Message, change: Transition) => {
        if (unrecorded.push({ message, change }) >= OUTCOMES_PER_COMMIT) commitOutcomes();
      };
      let retryable: unknown;
      // Each provider's share of its rate limit for the batch, taken at once: a message goes out at its slot.
      const perSecond = tenant.settings.rateLimits?.providerPerSecond ?? DEFAULT_RATE.providerPerSecond;
      const slotOf = new Map<string, number>();
      for (const channel of new Set(toDeliver.map((m) => m.channel))) {
        const group = toDeliver.filter((m) => m.channel === channel);
        const reservedAt = Date.now();
        const waits = await reserveSlots(db, `provider:${tenantId}:${providerFor(channel, tenant.settings).providerName}`, { perSecond, burst: Math.max(1, Math.ceil(perSecond)) }, group.length);
        group.forEach((m, i) => slotOf.set(m.id, reservedAt + waits[i]!));
      }
      const endPoints = new Map<string, Promise<string | undefined>>();
      await withHeartbeats(() =>
        inParallel(toDeliver, inFlight, async (message) => {
          const wait = slotOf.get(message.id)! - Date.now();
          if (wait > 0) await sleep(wait);
          const { providerName, credentials } = providerFor(message.channel, tenant.settings);
          const campaignKey = `${message.campaignId}@${message.campaignVersion}`;
          if (!endPoints.has(campaignKey)) endPoints.set(campaignKey, mailEndPoint(message));
          try {
            const receipt = await callProvider(message, tenant.settings, providerName, credentials, await endPoints.get(campaignKey), providerCallSignal());
            record(message, { status: 'sent', ...renderedNow.get(message.id), provider: providerName, providerMessageId: receipt.providerMessageId, event: { type: 'message.processed' } });
          } catch (error) {
            if (error instanceof ProviderError && !error.retryable) {
              record(message, { status: 'failed', ...renderedNow.get(message.id), reason: error.reason, provider: providerName, event: { type: 'message.failed', data: { status: error.status } } });
            } else {
              retryable ??= error;
            }
          }
          return true;
        }),
      );
      commitOutcomes();
      await Promise.all(recorded);
      // Not recorded means not known to be sent: the retry calls again, with the same idempotency key.
      if (recordFailure) throw recordFailure;
      if (retryable) {
        const error = retryable;
        throw ApplicationFailure.create({
          message: error instanceof Error ? error.message : String(error),
          type: 'ProviderUnavailable',
          nextRetryDelay: error instanceof ProviderError && error.retryAfterMs !== undefined ? error.retryAfterMs : undefined,
        });
      }
    },

    /** Ends a message that could not be sent (retries exhausted, rendering impossible) as failed, with the reason. */
    async failMessage(tenantId: string, messageId: string, reason: string): Promise<SendOutcome> {
      const message = await loadMessage(db, tenantId, messageId);
      await transitionMessage(db, message, { status: 'failed', reason, event: { type: 'message.failed' } });
      return { status: 'failed', reason };
    },
  };
}
export type SendActivities = ReturnType<typeof sendActivities>;
