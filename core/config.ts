import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { durationMs } from './duration.js';

const port = z.coerce.number().int().min(1).max(65535);
const optionalText = z.string().trim().min(1).optional();

/** Every setting the engine reads from the environment. The one place they are named and checked. */
export const configSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().default('127.0.0.1'),
  ADMIN_API_KEY: z.string().min(24, 'must be at least 24 characters; leave it unset and the dev stack generates one').optional(),
  DATA_DIR: z.string().default('.data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port, e.g. localhost:7233').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('mailflow'),
  TEMPORAL_API_KEY: optionalText,
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  TEMPORAL_TLS_CERT_PATH: optionalText,
  TEMPORAL_TLS_KEY_PATH: optionalText,
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_CLI_PATH: optionalText,
  STACK_WORKER: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).max(100_000).default(100),
  POSTGRES_PORT: port.default(5433),
  SFTP_PORT: port.default(2222),
  SFTP_POLL_INTERVAL: durationMs.default(30_000),
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default('1m,5m,30m,2h,5h,8h,8h')
    .transform((text, ctx) => {
      const delays = text.split(',').map((part) => durationMs.safeParse(part.trim()));
      const bad = delays.findIndex((d) => !d.success);
      if (bad >= 0) {
        ctx.addIssue({ code: 'custom', message: `item ${bad + 1} ("${text.split(',')[bad]}") is not a duration like 1m or 2h` });
        return z.NEVER;
      }
      return delays.map((d) => d.data as number);
    }),
  WEBHOOK_TIMEOUT: durationMs.default(10_000),
  SSE_HEARTBEAT: durationMs.default(15_000),
  SSE_MAX_SESSION: durationMs.default(600_000),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string; publicUrl: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the settings from an environment, failing with every bad variable named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(
    Object.keys(configSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  );
  const parsed = configSchema.safeParse(relevant);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}=${JSON.stringify(relevant[String(issue.path[0])])}: ${issue.message}`),
    );
  }
  const settings = parsed.data;
  return {
    ...settings,
    dataDir: path.resolve(settings.DATA_DIR),
    publicUrl: (settings.PUBLIC_URL ?? `http://localhost:${settings.PORT}`).replace(/\/$/, ''),
  };
}

export function generateAdminKey(): string {
  return `mfa_${randomBytes(24).toString('base64url')}`;
}

/** Connection settings for Temporal as plain data, so that api/ and worker/ connect the same way. */
export function temporalConnectionOptions(config: Config, address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`) {
  const tls =
    config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH
      ? { clientCertPair: { crt: readFileSync(config.TEMPORAL_TLS_CERT_PATH), key: readFileSync(config.TEMPORAL_TLS_KEY_PATH) } }
      : config.TEMPORAL_TLS || Boolean(config.TEMPORAL_API_KEY);
  return { address, namespace: config.TEMPORAL_NAMESPACE, apiKey: config.TEMPORAL_API_KEY, tls };
}
