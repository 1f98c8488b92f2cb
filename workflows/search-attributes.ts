import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The attributes every engine workflow carries, so an operator can filter runs by tenant and campaign in the UI. */
export const TenantId = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const CampaignId = defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD);
export const Channel = defineSearchAttributeKey('Channel', SearchAttributeType.KEYWORD);
export const ContactKey = defineSearchAttributeKey('ContactKey', SearchAttributeType.KEYWORD);

export const ENGINE_SEARCH_ATTRIBUTES = [TenantId, CampaignId, Channel, ContactKey];

export interface RunLabels {
  tenantId: string;
  campaignId?: string;
  channel?: string;
  contactKey?: string;
}

/** The typed search attributes to start a workflow with, from what the run is about. */
export function searchAttributesFor(labels: RunLabels) {
  const pairs = [{ key: TenantId, value: labels.tenantId }];
  if (labels.campaignId) pairs.push({ key: CampaignId, value: labels.campaignId });
  if (labels.channel) pairs.push({ key: Channel, value: labels.channel });
  if (labels.contactKey) pairs.push({ key: ContactKey, value: labels.contactKey });
  return pairs;
}
