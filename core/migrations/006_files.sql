-- The SFTP ingestion ledger: one row per file seen, unique per tenant and content hash (a copy of
-- bytes already taken is recorded as a duplicate of it).
CREATE TABLE files (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  campaign_id     text,
  name            text NOT NULL,
  path            text NOT NULL,
  sha256          text NOT NULL,
  status          text NOT NULL CHECK (status IN ('received', 'validating', 'sending', 'processed', 'failed', 'duplicate')),
  duplicate_of    text,
  reason          text,
  rows_total      int NOT NULL DEFAULT 0,
  rows_valid      int NOT NULL DEFAULT 0,
  rows_invalid    int NOT NULL DEFAULT 0,
  rows_suppressed int NOT NULL DEFAULT 0,
  rows_sent       int NOT NULL DEFAULT 0,
  rows_failed     int NOT NULL DEFAULT 0,
  workflow_id     text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX files_content_idx ON files (tenant_id, sha256) WHERE status <> 'duplicate';
CREATE INDEX files_tenant_idx ON files (tenant_id, id DESC);

CREATE TABLE file_row_errors (
  file_id  text NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  row      int NOT NULL,
  "column" text NOT NULL,
  message  text NOT NULL
);
CREATE INDEX file_row_errors_file_idx ON file_row_errors (file_id, row);

-- Valid rows staged for sending, by chunk; rows never pass through workflow history.
CREATE TABLE file_rows (
  file_id    text NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  row        int NOT NULL,
  contact    jsonb NOT NULL,
  message_id text,
  PRIMARY KEY (file_id, row)
);
