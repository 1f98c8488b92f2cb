// A 100,000-row mail file from upload to `file.processed` on the whole stack (`npm start`, the
// worker in its own process): wall time, rows/s and the worker's peak RSS, with the sandbox
// provider and with the Postalytics stand-in.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import SftpClient from 'ssh2-sftp-client';
import { ProviderStandIn } from '../test/support/provider-stand-ins.js';
import { sampleMailCsv } from '../test/support/csv-samples.js';
import { callApi as api, launchBenchStack, launchBenchWorker, seconds, waitForHttp } from './support.js';

const statusField = async (pid: number, field: 'VmHWM' | 'VmRSS') => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const peakRss = (pid: number) => statusField(pid, 'VmHWM');
const rss = (pid: number) => statusField(pid, 'VmRSS');

export async function benchFileCampaign(): Promise<void> {
  const rows = Number(process.env.BENCH_FILE_ROWS ?? 100_000);
  const csv = Buffer.from(sampleMailCsv(rows, 100));
  const providers = (process.env.BENCH_FILE_PROVIDERS ?? 'sandbox,postalytics').split(',') as Array<'sandbox' | 'postalytics'>;
  for (const provider of providers) {
    const stack = await launchBenchStack(`file-${provider}`, { DATABASE_POOL_SIZE: '20', STACK_WORKER: 'false', SFTP_POLL_INTERVAL: '1h' });
    let worker: ReturnType<typeof launchBenchWorker> | undefined;
    const standIn = provider === 'postalytics' ? new ProviderStandIn() : undefined;
    try {
      await waitForHttp(`${stack.base}/healthz`, 60_000, (status) => status === 503 || status === 200);
      worker = launchBenchWorker(stack);
      await waitForHttp(`${stack.base}/healthz`, 60_000);
      const sftpLine = /sftp -i (\S+) -P (\d+) (\S+)@(\S+)/.exec(stack.process.output());
      if (!sftpLine) throw new Error(`the stack started no SFTP endpoint:\n${stack.process.output()}`);
      const [, keyPath, port, username, host] = sftpLine;
      const privateKey = await readFile(keyPath!, 'utf8');
      const adminKey = stack.adminKey();
      const tenant = await api(stack.base, adminKey, 'POST', '/api/v1/tenants', { name: 'File bench' });
      const postalytics = standIn ? { postalytics: { apiKey: 'bench-key', baseUrl: (await standIn.start()).baseUrl }, providers: { mail: 'postalytics' } } : {};
      await api(stack.base, adminKey, 'PATCH', `/api/v1/tenants/${tenant.id}/settings`, {
        sftp: { host, port: Number(port), username, privateKey, inboxPath: '/bench/inbox' },
        rateLimits: { providerPerSecond: 100_000 },
        ...postalytics,
      });
      const template = await api(stack.base, tenant.apiKey, 'POST', '/api/v1/templates', { name: 'card', channel: 'mail', html: '<p>Dear {{first_name}} {{last_name}}, {{var_field_1}}</p>' });
      const campaign = await api(stack.base, tenant.apiKey, 'POST', '/api/v1/campaigns', { name: 'Bench', type: 'file', channel: 'mail', templateId: template.id, provider: { postalytics: { endPoint: 'bench' } } });

      const atRest = await rss(worker.child.pid!);
      const sftp = new SftpClient();
      await sftp.connect({ host, port: Number(port), username, privateKey });
      await sftp.mkdir('/bench/inbox', true);
      const name = `${campaign.id}_bench.csv`;
      const started = Date.now();
      await sftp.put(csv, `/bench/inbox/${name}`);
      await sftp.end();
      const uploaded = Date.now();
      await api(stack.base, tenant.apiKey, 'POST', '/api/v1/files/poll', {});
      let file: any;
      let sending: number | undefined;
      for (let i = 0; i < 12_000; i++) {
        file = (await api(stack.base, tenant.apiKey, 'GET', '/api/v1/files')).items.find((f: { name: string }) => f.name === name);
        if (file?.status === 'sending') sending ??= Date.now();
        if (file && (file.status === 'processed' || file.status === 'failed')) break;
        await sleep(100);
      }
      const ended = Date.now();
      const wall = ended - started;
      const loaded = sending ?? ended;
      console.log(
        `file-campaign (${provider}): ${rows} rows from upload to file.processed in ${seconds(wall)} = ${Math.round(rows / (wall / 1000))} rows/s; ` +
          `status ${file?.status}, valid ${file?.rows_valid}, invalid ${file?.rows_invalid}, sent ${file?.rows_sent}, failed ${file?.rows_failed}; worker peak RSS ${(await peakRss(worker.child.pid!)).toFixed(0)} MB (${atRest.toFixed(0)} MB at rest before the file; NODE_OPTIONS=${worker.nodeOptions})` +
          (standIn ? `; the stand-in took ${standIn.deliveries.length} pieces` : ''),
      );
      console.log(
        `file-campaign (${provider}): phases: upload ${seconds(uploaded - started)}, poll + stream + validate + COPY ${seconds(loaded - uploaded)}, ` +
          `send and finish ${seconds(ended - loaded)} (${Math.round((file?.rows_sent ?? 0) / ((ended - loaded) / 1000))} rows/s)`,
      );
    } finally {
      worker?.child.kill('SIGTERM');
      await worker?.exited;
      await standIn?.stop();
      await stack.stop();
    }
  }
}
