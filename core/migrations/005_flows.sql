-- One row per enrollment of a contact into a flow campaign. The API writes it and answers; the
-- flow relay starts its workflow (dispatched_at), as the send relay does for messages.
CREATE TABLE flow_enrollments (
  id               text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  campaign_id      text NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  campaign_version int NOT NULL,
  contact_key      text NOT NULL,
  -- The contact's suppression keys (email and postal address), so an unsubscribe finds its flows.
  recipient_keys   text[] NOT NULL,
  contact          jsonb NOT NULL,
  workflow_id      text NOT NULL,
  run_id           text,
  status           text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'exited')),
  current_step     text,
  steps_done       jsonb NOT NULL DEFAULT '[]'::jsonb,
  exit_reason      text,
  dispatched_at    timestamptz,
  started_at       timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  ended_at         timestamptz
);
-- At most one running enrollment per contact and campaign: a second POST finds the first.
CREATE UNIQUE INDEX flow_enrollments_running_idx ON flow_enrollments (tenant_id, campaign_id, contact_key) WHERE status = 'running';
CREATE INDEX flow_enrollments_contact_idx ON flow_enrollments (tenant_id, campaign_id, contact_key);
CREATE INDEX flow_enrollments_tenant_idx ON flow_enrollments (tenant_id, id DESC);
CREATE INDEX flow_enrollments_undispatched_idx ON flow_enrollments (created_at) WHERE dispatched_at IS NULL AND status = 'running';
CREATE INDEX flow_enrollments_recipient_idx ON flow_enrollments USING gin (recipient_keys) WHERE status = 'running';

-- Messages a flow sent point at their enrollment, so their events can be routed back to it.
ALTER TABLE messages ADD COLUMN enrollment_id text;

-- The outbox of signals to flow workflows (message events, exits), written in the transaction
-- of the change that causes them and drained by the flow signal relay.
CREATE TABLE flow_signals (
  id            bigserial PRIMARY KEY,
  tenant_id     text NOT NULL,
  enrollment_id text NOT NULL,
  workflow_id   text NOT NULL,
  signal        text NOT NULL,
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
