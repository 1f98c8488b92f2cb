// Replays the histories recorded from the flow tests against today's workflow code: a change that
// would break running enrollments fails here (and belongs behind patched()).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { harnessEnv } from './support/harness.js';
import { historyFromText } from './support/histories.js';

const HISTORIES = path.join('test', 'histories');

describe('workflow replay', () => {
  it('replays every recorded history deterministically', async () => {
    const env = harnessEnv();
    const files = (await readdir(HISTORIES)).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 5, `recorded histories are committed under ${HISTORIES}`);
    const histories = await Promise.all(files.map(async (file) => ({ workflowId: file, history: historyFromText(await readFile(path.join(HISTORIES, file), 'utf8')) })));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: env.TEST_WORKFLOW_BUNDLE } }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.deepEqual(failures, []);
  });
});
