CREATE TABLE tenants (
  id                     text PRIMARY KEY,
  name                   text NOT NULL,
  company_name           text,
  settings               jsonb NOT NULL DEFAULT '{}'::jsonb,
  provider_events_secret text NOT NULL,
  created_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name         text NOT NULL,
  scopes       text[] NOT NULL,
  key_hash     bytea NOT NULL UNIQUE,
  key_prefix   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, id DESC);
