-- A valid row's place among the file's valid rows (0, 1, 2, ...), so a chunk is a range of seq and
-- reading chunk n costs the same as reading chunk 0 (OFFSET grew with n).
ALTER TABLE file_rows ADD COLUMN seq int;
UPDATE file_rows r SET seq = n.seq
  FROM (SELECT file_id, row, (row_number() OVER (PARTITION BY file_id ORDER BY row) - 1)::int AS seq FROM file_rows) n
  WHERE r.file_id = n.file_id AND r.row = n.row;
ALTER TABLE file_rows ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX file_rows_seq_idx ON file_rows (file_id, seq);

-- What each sent chunk came to, written when the chunk ends (again, the same, if it is retried):
-- the file's counts while it runs are their sums.
CREATE TABLE file_chunks (
  file_id    text NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  chunk      int NOT NULL,
  sent       int NOT NULL,
  suppressed int NOT NULL,
  failed     int NOT NULL,
  PRIMARY KEY (file_id, chunk)
);

-- A staged row's message is found by its idempotency key (`file:{sha256}:{row}`) and counted
-- through file_chunks; writing its id back into the row cost a second write of every row.
ALTER TABLE file_rows DROP COLUMN message_id;
