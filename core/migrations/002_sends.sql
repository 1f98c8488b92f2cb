ALTER TABLE tenants
  ADD COLUMN unsubscribe_secret text NOT NULL DEFAULT encode(sha256((random()::text || clock_timestamp()::text)::bytea), 'base64'),
  ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE templates (
  id             text PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name           text NOT NULL,
  channel        text NOT NULL CHECK (channel IN ('email', 'mail')),
  latest_version int NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX templates_tenant_idx ON templates (tenant_id, id DESC);

CREATE TABLE template_versions (
  template_id text NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
  version     int NOT NULL,
  subject     text,
  html        text NOT NULL,
  text        text,
  variables   text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (template_id, version)
);

CREATE TABLE campaigns (
  id                text PRIMARY KEY,
  tenant_id         text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name              text NOT NULL,
  type              text NOT NULL CHECK (type IN ('triggered', 'flow', 'file')),
  channel           text CHECK (channel IN ('email', 'mail')),
  latest_version    int NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_tenant_idx ON campaigns (tenant_id, id DESC);

-- Each save of a campaign is a version; runs keep the version they started with.
CREATE TABLE campaign_versions (
  campaign_id text NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  version     int NOT NULL,
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign_id, version)
);

CREATE TABLE suppressions (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel     text NOT NULL CHECK (channel IN ('email', 'mail')),
  scope       text NOT NULL CHECK (scope IN ('account', 'campaign')),
  campaign_id text NOT NULL DEFAULT '',
  value_key   text NOT NULL,
  value       text NOT NULL,
  reason      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, channel, value_key, scope, campaign_id)
);
CREATE INDEX suppressions_list_idx ON suppressions (tenant_id, id DESC);

-- The send ledger: one row per message, the source of truth for what was sent.
CREATE TABLE messages (
  id                  text PRIMARY KEY,
  tenant_id           text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  idempotency_key     text NOT NULL,
  request_hash        text NOT NULL,
  workflow_id         text NOT NULL,
  channel             text NOT NULL CHECK (channel IN ('email', 'mail')),
  campaign_id         text,
  campaign_version    int,
  template_id         text,
  template_version    int,
  recipient           text NOT NULL,
  recipient_key       text NOT NULL,
  request             jsonb NOT NULL,
  headers             jsonb NOT NULL DEFAULT '{}'::jsonb,
  status              text NOT NULL,
  status_reason       text,
  provider            text,
  provider_message_id text,
  rendered            jsonb,
  attempts            int NOT NULL DEFAULT 0,
  dispatched_at       timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX messages_tenant_idx ON messages (tenant_id, id DESC);
-- Accepted messages whose workflow has not been started yet: the send relay's queue.
CREATE INDEX messages_undispatched_idx ON messages (created_at) WHERE dispatched_at IS NULL;
CREATE INDEX messages_provider_id_idx ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;

-- Append-only, tenant-tagged event log; seq orders one tenant's events for streams and cursors.
CREATE TABLE events (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  seq         bigint NOT NULL,
  type        text NOT NULL,
  message_id  text,
  campaign_id text,
  data        jsonb NOT NULL DEFAULT '{}'::jsonb,
  headers     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, seq)
);
CREATE INDEX events_message_idx ON events (message_id, seq) WHERE message_id IS NOT NULL;

-- What the sandbox provider "sent": exactly what would have gone out.
CREATE TABLE sandbox_messages (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  message_id  text NOT NULL UNIQUE,
  channel     text NOT NULL,
  recipient   text NOT NULL,
  subject     text,
  html        text NOT NULL,
  text        text,
  headers     jsonb NOT NULL DEFAULT '{}'::jsonb,
  payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_messages_tenant_idx ON sandbox_messages (tenant_id, id DESC);

-- Generic cell-rate limiter state shared by every process: the theoretical arrival time per key.
-- Unlogged: every request updates one row per key, and a crash forgetting a second of rate state is
-- harmless, while waiting for a WAL flush on each request would serialise a key's requests on fsync.
CREATE UNLOGGED TABLE rate_limits (
  key text PRIMARY KEY,
  tat timestamptz NOT NULL
);
