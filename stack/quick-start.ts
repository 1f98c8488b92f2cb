import type { Stack } from './launch.js';
import type { SftpEndpoint } from './sshd.js';

/** A file campaign by hand: the tenant's inbox on the local SFTP endpoint, a campaign, and reference/001's sample dropped on it. */
function fileCampaignRecipe(api: string, sftp: SftpEndpoint): string[] {
  const json = (pairs: string) => `-H 'Content-Type: application/json' -d '${pairs}'`;
  return [
    'A file campaign over the local SFTP endpoint (export TENANT=<id of the tenant above>):',
    '',
    `  export SFTP_KEY=$(node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(process.argv[1], "utf8")))' ${sftp.privateKeyPath})`,
    `  curl -s -X PATCH ${api}/api/v1/tenants/$TENANT/settings -H "Authorization: Bearer $ADMIN_KEY" \\`,
    `       ${json(`{"sftp":{"host":"${sftp.host}","port":${sftp.port},"username":"${sftp.username}","inboxPath":"/'"$TENANT"'/inbox","privateKey":'"$SFTP_KEY"'}}`)}`,
    `  curl -s -X POST ${api}/api/v1/templates -H "X-API-Key: $KEY" ${json('{"name":"card","channel":"mail","html":"<p>Dear {{first_name}}, {{var_field_1}}</p>"}')}`,
    '  export TPL=<id from the answer>',
    `  curl -s -X POST ${api}/api/v1/campaigns -H "X-API-Key: $KEY" ${json(`{"name":"AFC","type":"file","channel":"mail","templateId":"'$TPL'"}`)}`,
    '  export CMP=<id from the answer>',
    `  printf 'first_name,last_name,address_street,address_city,address_state,address_zip,var_field_1\\nJared,Wong,77 Beacon St,Boston,MA,02108,Renewal Offer\\nSandra,Nguyen,22 Harbor Rd,San Diego,CA,92101,Loyalty Bonus\\n' > "$CMP"_batch.csv`,
    `  printf 'mkdir /%s\\nmkdir /%s/inbox\\nput %s_batch.csv /%s/inbox/\\n' $TENANT $TENANT $CMP $TENANT | sftp -o StrictHostKeyChecking=accept-new -b - -i ${sftp.privateKeyPath} -P ${sftp.port} ${sftp.username}@${sftp.host}`,
    `  curl -s -X POST ${api}/api/v1/files/poll -H "X-API-Key: $KEY"     # or wait for the schedule`,
    `  curl -s ${api}/api/v1/files -H "X-API-Key: $KEY"`,
    '',
  ];
}

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
    ...(stack.sftp ? fileCampaignRecipe(api, stack.sftp) : []),
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}
