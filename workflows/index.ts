// Every workflow the engine's worker runs. Only deterministic workflow code may be imported here.
export { tenantDiagnostics } from './diagnostics.js';
export { sendMessage } from './send-message.js';
export { flowEnrollment } from './flow-enrollment.js';
export { fileCampaign } from './file-campaign.js';
export { sftpPoll } from './sftp-poll.js';
