import { createHash } from 'node:crypto';
import type { Db, Queryable } from './db.js';
import { withTransaction } from './db.js';
import { notFound } from './errors.js';
import { appendEvent } from './events.js';
import { newId } from './ids.js';
import { normaliseAddress, normaliseEmail, type AddressFields } from './postal-address.js';
import type { FlowContact } from './contacts.js';

export type EnrollmentStatus = 'running' | 'completed' | 'exited';

export interface StepDone {
  step: string;
  type: string;
  at: string;
  messageId?: string;
  outcome?: string;
}

export interface Enrollment {
  id: string;
  tenantId: string;
  campaignId: string;
  campaignVersion: number;
  contactKey: string;
  contact: FlowContact;
  workflowId: string;
  runId: string | null;
  status: EnrollmentStatus;
  currentStep: string | null;
  stepsDone: StepDone[];
  exitReason: string | null;
  createdAt: Date;
  endedAt: Date | null;
}

const fromRow = (r: Record<string, any>): Enrollment => ({
  id: r.id,
  tenantId: r.tenant_id,
  campaignId: r.campaign_id,
  campaignVersion: r.campaign_version,
  contactKey: r.contact_key,
  contact: r.contact,
  workflowId: r.workflow_id,
  runId: r.run_id,
  status: r.status,
  currentStep: r.current_step,
  stepsDone: r.steps_done,
  exitReason: r.exit_reason,
  createdAt: r.created_at,
  endedAt: r.ended_at,
});

const hasAddress = (c: FlowContact) => !!(c.address_street && c.address_zip);

/** Who a contact is within a campaign: their email, else the platform's external_id, else a hash of name and address. */
export function contactKeyOf(contact: FlowContact): string {
  if (contact.email) return normaliseEmail(contact.email);
  if (contact.external_id) return `ext:${contact.external_id}`;
  const name = [contact.first_name, contact.last_name, contact.organization].map((p) => (p ?? '').trim().toLowerCase()).join('|');
  return `h:${createHash('sha256').update(`${name}\u0000${normaliseAddress(contact as unknown as AddressFields)}`).digest('base64url').slice(0, 32)}`;
}

/** The suppression keys of a contact: an unsubscribe or suppression of any of them reaches its flows. */
export const recipientKeysOf = (contact: FlowContact) => [...(contact.email ? [normaliseEmail(contact.email)] : []), ...(hasAddress(contact) ? [normaliseAddress(contact as unknown as AddressFields)] : [])];

export const flowWorkflowId = (tenantId: string, campaignId: string, contactKey: string) => `flow/${tenantId}/${campaignId}/${contactKey}`;

/**
 * Enrolls a contact, or finds the enrollment that already runs for this contact and campaign.
 * The flow relay starts its workflow, whose first act records `flow.enrolled` (markStarted), so
 * the API's transaction takes no tenant-wide lock and the event comes before any `flow.step`. `reenrolled` says an earlier enrollment of the
 * contact ended before this one.
 */
export async function enroll(
  db: Db,
  input: { tenantId: string; campaignId: string; campaignVersion: number; contact: FlowContact },
): Promise<{ enrollment: Enrollment; created: boolean; reenrolled: boolean }> {
  const contactKey = contactKeyOf(input.contact);
  const workflowId = flowWorkflowId(input.tenantId, input.campaignId, contactKey);
  return withTransaction(db, async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO flow_enrollments (id, tenant_id, campaign_id, campaign_version, contact_key, recipient_keys, contact, workflow_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant_id, campaign_id, contact_key) WHERE status = 'running' DO NOTHING RETURNING *`,
      [newId('enr'), input.tenantId, input.campaignId, input.campaignVersion, contactKey, recipientKeysOf(input.contact), input.contact, workflowId],
    );
    if (!inserted.rows[0]) {
      const running = await tx.query(`SELECT * FROM flow_enrollments WHERE tenant_id = $1 AND campaign_id = $2 AND contact_key = $3 AND status = 'running'`, [input.tenantId, input.campaignId, contactKey]);
      if (running.rows[0]) return { enrollment: fromRow(running.rows[0]), created: false, reenrolled: false };
      throw new Error('enrollment vanished while enrolling; retry the request');
    }
    const enrollment = fromRow(inserted.rows[0]);
    const earlier = await tx.query(`SELECT 1 FROM flow_enrollments WHERE tenant_id = $1 AND campaign_id = $2 AND contact_key = $3 AND id <> $4 LIMIT 1`, [input.tenantId, input.campaignId, contactKey, enrollment.id]);
    await tx.query('NOTIFY mailflow_enrolled');
    return { enrollment, created: true, reenrolled: earlier.rows.length > 0 };
  });
}

export async function getEnrollment(db: Queryable, tenantId: string, id: string): Promise<Enrollment> {
  const { rows } = await db.query('SELECT * FROM flow_enrollments WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  if (!rows[0]) throw notFound('enrollment', id);
  return fromRow(rows[0]);
}

/** An enrollment by id alone: for the worker, which acts for whichever tenant the enrollment is. */
export async function getEnrollmentById(db: Queryable, id: string): Promise<Enrollment> {
  const { rows } = await db.query('SELECT * FROM flow_enrollments WHERE id = $1', [id]);
  if (!rows[0]) throw notFound('enrollment', id);
  return fromRow(rows[0]);
}

export async function listEnrollments(db: Queryable, tenantId: string, filter: { limit: number; before?: string; campaignId?: string; status?: EnrollmentStatus }): Promise<Enrollment[]> {
  const { rows } = await db.query(
    `SELECT * FROM flow_enrollments WHERE tenant_id = $1 AND ($2::text IS NULL OR id < $2) AND ($3::text IS NULL OR campaign_id = $3)
       AND ($4::text IS NULL OR status = $4) ORDER BY id DESC LIMIT $5`,
    [tenantId, filter.before ?? null, filter.campaignId ?? null, filter.status ?? null, filter.limit],
  );
  return rows.map(fromRow);
}

export interface UndispatchedEnrollment {
  id: string;
  tenantId: string;
  campaignId: string;
  workflowId: string;
  contactKey: string;
}

/** Hands enrollments whose workflow has not started to `start` a batch at a time, recording the run ids it started. */
export async function dispatchEnrollments(db: Db, limit: number, start: (batch: UndispatchedEnrollment[]) => Promise<Array<{ id: string; runId: string }>>): Promise<number> {
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query(
      `SELECT id, tenant_id, campaign_id, workflow_id, contact_key FROM flow_enrollments
       WHERE dispatched_at IS NULL AND status = 'running' ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    if (!rows.length) return 0;
    const started = await start(rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, campaignId: r.campaign_id, workflowId: r.workflow_id, contactKey: r.contact_key })));
    if (started.length) {
      await tx.query(
        `UPDATE flow_enrollments e SET dispatched_at = now(), run_id = s.run_id FROM unnest($1::text[], $2::text[]) AS s(id, run_id) WHERE e.id = s.id`,
        [started.map((s) => s.id), started.map((s) => s.runId)],
      );
    }
    return rows.length;
  });
}

/** Records that the enrollment's workflow runs, with its `flow.enrolled` event, once. */
export async function markStarted(db: Db, enrollmentId: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    const { rows } = await tx.query(
      `UPDATE flow_enrollments SET started_at = now() WHERE id = $1 AND started_at IS NULL
       RETURNING tenant_id, campaign_id, campaign_version, workflow_id, contact_key`,
      [enrollmentId],
    );
    const r = rows[0];
    if (!r) return;
    await appendEvent(tx, {
      tenantId: r.tenant_id,
      type: 'flow.enrolled',
      campaignId: r.campaign_id,
      data: { enrollment_id: enrollmentId, workflow_id: r.workflow_id, contact_key: r.contact_key, campaign_version: r.campaign_version },
    });
  });
}

/** Records one step the workflow finished, with its `flow.step` event; `n` (the count of steps done) makes a retry a no-op. */
export async function recordStep(db: Db, enrollmentId: string, n: number, done: StepDone, currentStep: string | null): Promise<void> {
  await withTransaction(db, async (tx) => {
    const { rows } = await tx.query(
      `UPDATE flow_enrollments SET steps_done = steps_done || $3::jsonb, current_step = $4
       WHERE id = $1 AND jsonb_array_length(steps_done) = $2 - 1 RETURNING tenant_id, campaign_id`,
      [enrollmentId, n, JSON.stringify([done]), currentStep],
    );
    if (!rows[0]) return;
    await appendEvent(tx, {
      tenantId: rows[0].tenant_id,
      type: 'flow.step',
      campaignId: rows[0].campaign_id,
      data: { enrollment_id: enrollmentId, step: done.step, step_type: done.type, ...(done.messageId && { message_id: done.messageId }), ...(done.outcome && { outcome: done.outcome }), next_step: currentStep },
    });
  });
}

/** Ends an enrollment as completed or exited, with its event; a second call changes nothing. */
export async function endEnrollment(db: Queryable, enrollmentId: string, end: { status: 'completed' | 'exited'; reason?: string }): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE flow_enrollments SET status = $2, exit_reason = $3, current_step = NULL, ended_at = now()
     WHERE id = $1 AND status = 'running' RETURNING tenant_id, campaign_id, workflow_id, steps_done`,
    [enrollmentId, end.status, end.reason ?? null],
  );
  if (!rows[0]) return false;
  await appendEvent(db, {
    tenantId: rows[0].tenant_id,
    type: end.status === 'completed' ? 'flow.completed' : 'flow.exited',
    campaignId: rows[0].campaign_id,
    data: { enrollment_id: enrollmentId, workflow_id: rows[0].workflow_id, steps_done: rows[0].steps_done.length, ...(end.reason && { reason: end.reason }) },
  });
  return true;
}

/**
 * Asks running enrollments to exit, inside the caller's transaction: one whose workflow has not
 * started yet ends here; the others get an `exit` signal through the outbox.
 */
export async function requestExit(tx: Queryable, tenantId: string, where: { enrollmentId?: string; recipientKey?: string }, reason: string): Promise<number> {
  const { rows } = await tx.query<{ id: string; workflow_id: string; dispatched_at: Date | null }>(
    `SELECT id, workflow_id, dispatched_at FROM flow_enrollments
     WHERE tenant_id = $1 AND status = 'running' AND ($2::text IS NULL OR id = $2) AND ($3::text IS NULL OR $3 = ANY(recipient_keys))
     FOR UPDATE`,
    [tenantId, where.enrollmentId ?? null, where.recipientKey ?? null],
  );
  for (const row of rows) {
    if (!row.dispatched_at) {
      await endEnrollment(tx, row.id, { status: 'exited', reason });
      continue;
    }
    await tx.query(`INSERT INTO flow_signals (tenant_id, enrollment_id, workflow_id, signal, payload) VALUES ($1, $2, $3, 'exit', $4)`, [tenantId, row.id, row.workflow_id, { reason }]);
  }
  if (rows.some((r) => r.dispatched_at)) await tx.query('NOTIFY mailflow_flow_signals');
  return rows.length;
}

export interface PendingSignal {
  id: string;
  enrollmentId: string;
  workflowId: string;
  signal: 'exit' | 'messageEvent';
  payload: Record<string, unknown>;
}

/** Hands queued flow signals to `deliver` in order, a batch at a time; the ones it reports done are removed. */
export async function drainFlowSignals(db: Db, limit: number, deliver: (batch: PendingSignal[]) => Promise<string[]>): Promise<number> {
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query(`SELECT id, enrollment_id, workflow_id, signal, payload FROM flow_signals ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit]);
    if (!rows.length) return 0;
    const done = await deliver(rows.map((r) => ({ id: String(r.id), enrollmentId: r.enrollment_id, workflowId: r.workflow_id, signal: r.signal, payload: r.payload })));
    if (done.length) await tx.query('DELETE FROM flow_signals WHERE id = ANY($1::bigint[])', [done]);
    return rows.length;
  });
}
