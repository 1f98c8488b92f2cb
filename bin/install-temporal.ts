// Puts the pinned Temporal CLI and time-skipping test server into the project cache (.cache/bin),
// unless TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH or a `temporal` on PATH already provide them.
import { BinaryNotFoundError, resolveTemporalBinary } from '../stack/binaries.js';

try {
  for (const kind of ['cli', 'testServer'] as const) console.log(`${kind}: ${await resolveTemporalBinary(kind)}`);
} catch (error) {
  if (!(error instanceof BinaryNotFoundError)) throw error;
  console.error(error.message);
  process.exit(1);
}
