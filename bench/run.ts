// `npm run bench [name…]`: runs the named benchmarks (all by default) and prints their figures.
import { benchFileCampaign } from './file-campaign.js';
import { benchFileParse } from './file-parse.js';
import { benchFlows } from './flows.js';
import { benchRender } from './render.js';
import { benchSendLoad } from './send-load.js';
import { benchSse } from './sse.js';
import { benchStartup, benchTestSuite } from './startup.js';
import { benchTemporalCeiling } from './temporal-ceiling.js';
import { benchWebhooks } from './webhooks.js';

const benches: Record<string, () => Promise<void>> = {
  startup: benchStartup,
  render: benchRender,
  send: benchSendLoad,
  webhooks: benchWebhooks,
  flows: benchFlows,
  'file-parse': benchFileParse,
  'file-campaign': benchFileCampaign,
  sse: benchSse,
  'temporal-ceiling': benchTemporalCeiling,
  tests: benchTestSuite,
};

const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(benches)) {
  const bench = benches[name];
  if (!bench) {
    console.error(`No benchmark "${name}"; choose from ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  console.log(`# ${name}`);
  await bench();
}
