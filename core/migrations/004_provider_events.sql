-- Inbound provider webhooks, kept once per provider event id: a provider retrying a delivery
-- changes nothing the second time.
CREATE TABLE provider_events (
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  provider      text NOT NULL,
  event_id      text NOT NULL,
  message_id    text,
  type          text NOT NULL,
  payload       jsonb NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, provider, event_id)
);
