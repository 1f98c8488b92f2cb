import type { Stack } from './launch.js';

/** What `npm start` prints once everything answers: addresses, the admin key and commands to paste. */
export function quickStart(stack: Stack, startedInMs: number): string {
  const api = stack.apiUrl;
  const lines = [
    '',
    `Mailflow engine is up (${(startedInMs / 1000).toFixed(1)} s).`,
    '',
    `  API            ${api}/api/v1   (OpenAPI: ${api}/docs, health: ${api}/healthz)`,
    `  Temporal UI    ${stack.uiUrl ?? '(external Temporal: use its own UI)'}`,
    `  Temporal       ${stack.temporalAddress}  namespace ${stack.config.TEMPORAL_NAMESPACE}, task queue ${stack.config.TEMPORAL_TASK_QUEUE}`,
    `  Postgres       ${stack.databaseUrl.replace(/:[^:@/]+@/, ':***@')}`,
    stack.sftp
      ? `  SFTP           sftp -i ${stack.sftp.privateKeyPath} -P ${stack.sftp.port} ${stack.sftp.username}@${stack.sftp.host}`
      : `  SFTP           not started: ${stack.sftpUnavailable}`,
    `  Data           ${stack.config.dataDir}`,
    '',
    `  Admin key      ${stack.adminKey}`,
    '',
    'Quick start (copy and paste):',
    '',
    `  export ADMIN_KEY=${stack.adminKey}`,
    `  curl -s ${api}/healthz`,
    `  curl -s -X POST ${api}/api/v1/tenants -H "Authorization: Bearer $ADMIN_KEY" \\`,
    `       -H 'Content-Type: application/json' -d '{"name":"Acme","companyName":"Acme Inc"}'`,
    '  # take "apiKey" from the answer:',
    '  export KEY=<apiKey>',
    `  curl -s -X POST ${api}/api/v1/keys -H "Authorization: Bearer $KEY" \\`,
    `       -H 'Content-Type: application/json' -d '{"name":"sender","scopes":["send"]}'`,
    `  curl -s ${api}/api/v1/keys -H "X-API-Key: $KEY"`,
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}
