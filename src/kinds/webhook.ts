import { z } from 'zod';
import { ID_PATTERN } from '../definitions/interview-schema.js';
import { didYouMean } from '../suggest.js';
import type { ResourceBody, ResourceIssue, ResourceKind } from './resource-kind.js';
import { isLoopback } from './url-rules.js';
import { isRecord } from '../values.js';

/**
 * A micro1 webhook: where micro1 sends interview results and candidate events. The body of
 * CreateWebhookRequest / UpdateWebhookRequest in openapi.json (`url` and `event` required,
 * `description` optional); the list (GET /webhooks, GetAllWebhooksResponse) returns `webhook_id`
 * beside them. Webhooks have no name: one is identified by url + event.
 */

/** The `event` enum of CreateWebhookRequest, in the document's order. */
export const WEBHOOK_EVENTS = [
  'interview_report.created',
  'interview_recording.completed',
  'interview_webcam_recording.completed',
  'proctoring_score.completed',
  'applicant.completed',
  'applicant.created',
  'applicant.updated',
  'applicant.invited',
  'interview.started',
  'interview.completed',
] as const;

/** The document gives no limit; a destination longer than browsers and proxies accept is a mistake. */
export const MAX_URL_LENGTH = 2048;
/** Nor for the description: a line or two is what the example holds. */
export const MAX_DESCRIPTION_LENGTH = 1000;

const FIELDS = ['url', 'event', 'description'] as const;

/** Built when first asked for (`micro1 schema`, the editor schemas): checking a webhook file needs no zod. */
let builtSchema: z.ZodType | undefined;
function schema(): z.ZodType {
  return (builtSchema ??= buildSchema());
}

/** Whether the webhook schema has been built in this process (the start-up test asks). */
export function webhookSchemaIsBuilt(): boolean {
  return builtSchema !== undefined;
}

const buildSchema = (): z.ZodType =>
  z
    .strictObject({
      url: z.string().max(MAX_URL_LENGTH).meta({ description: 'Destination URL: https, or plain http to this machine only', examples: ['https://ats.example.com/micro1'] }),
      event: z.enum(WEBHOOK_EVENTS).meta({ description: 'The event micro1 sends to the URL' }),
      description: z.string().max(MAX_DESCRIPTION_LENGTH).optional().meta({ description: 'What the webhook is for (default: empty)' }),
    })
    .meta({ title: 'micro1 webhook definition', description: 'One micro1 webhook, managed by micro1-sync' });

export const webhookKind: ResourceKind = {
  name: 'webhook',
  labels: { one: 'webhook', many: 'webhooks' },
  folderSetting: 'webhooks',
  defaultFolder: 'webhooks',
  stateKey: 'webhooks',
  fields: FIELDS,
  prominent: ['url'],
  get schema() {
    return schema();
  },
  identityLabel: 'url + event',
  parse: parseWebhook,
  identity: (body) => `${body.event} ${body.url}`,
  summary: (body) => `${body.event} → ${body.url}`,
  endpoints: { create: '/webhook', list: '/webhooks', item: (id) => `/webhook/${id}` },
  createdId(answer) {
    // CreateWebhookResponse is `{ id }` at the top level; a `data` envelope is read the same way.
    const data = isRecord(answer.data) ? answer.data : {};
    const id = answer.id ?? data.id ?? data.webhook_id;
    return typeof id === 'string' && ID_PATTERN.test(id) ? id : undefined;
  },
  fromList(item) {
    if (!isRecord(item) || typeof item.webhook_id !== 'string' || !ID_PATTERN.test(item.webhook_id)) return undefined;
    if (typeof item.url !== 'string' || typeof item.event !== 'string') return undefined;
    const description = typeof item.description === 'string' ? item.description : '';
    return { id: item.webhook_id, body: { url: item.url, event: item.event, description } };
  },
};

function parseWebhook(value: Record<string, unknown>): { body?: ResourceBody; issues: ResourceIssue[] } {
  const issues: ResourceIssue[] = [];
  for (const key of Object.keys(value)) {
    if ((FIELDS as readonly string[]).includes(key)) continue;
    const suggestion = didYouMean(key, FIELDS);
    issues.push({ path: [key], atKey: true, message: `unknown key "${key}"`, hint: suggestion ? `did you mean "${suggestion}"?` : `a webhook has ${FIELDS.join(', ')}` });
  }
  const url = checkUrl(value.url, issues);
  const event = checkEvent(value.event, issues);
  let description = '';
  if (value.description !== undefined && value.description !== null) {
    if (typeof value.description !== 'string') issues.push({ path: ['description'], message: 'description must be text' });
    else if (value.description.length > MAX_DESCRIPTION_LENGTH) issues.push({ path: ['description'], message: `description is longer than ${MAX_DESCRIPTION_LENGTH} characters` });
    else description = value.description;
  }
  if (issues.length > 0 || url === undefined || event === undefined) return { issues };
  return { body: { url, event, description }, issues };
}

function checkUrl(raw: unknown, issues: ResourceIssue[]): string | undefined {
  const at = ['url'];
  if (raw === undefined || raw === null) {
    issues.push({ path: at, message: 'url is required: where micro1 sends the event', hint: 'e.g. url: https://ats.example.com/micro1' });
    return undefined;
  }
  if (typeof raw !== 'string') {
    issues.push({ path: at, message: 'url must be text' });
    return undefined;
  }
  if (raw.length > MAX_URL_LENGTH) {
    issues.push({ path: at, message: `url is longer than ${MAX_URL_LENGTH} characters` });
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    issues.push({ path: at, message: 'url is not a URL', hint: 'write the full address, e.g. https://ats.example.com/micro1' });
    return undefined;
  }
  if (raw.trim() !== raw) {
    issues.push({ path: at, message: 'url has spaces around it', hint: 'remove them: micro1 would be sent the spaces' });
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    issues.push({ path: at, message: 'url holds a user name or password, which would be kept in git and in the state file', hint: 'use a URL without credentials; authenticate the receiver another way' });
    return undefined;
  }
  if (url.protocol === 'https:') return raw;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return raw;
  issues.push({
    path: at,
    message: url.protocol === 'http:' ? `url must use https: candidate reports would cross the network unencrypted to ${url.host}` : `url must be an https address, not ${url.protocol}`,
    hint: url.protocol === 'http:' ? `write https://${raw.slice('http://'.length)} (plain http is allowed only to this machine: localhost, 127.0.0.1, ::1)` : 'e.g. url: https://ats.example.com/micro1',
  });
  return undefined;
}

function checkEvent(raw: unknown, issues: ResourceIssue[]): string | undefined {
  const at = ['event'];
  if (raw === undefined || raw === null) {
    issues.push({ path: at, message: 'event is required', hint: `one of ${WEBHOOK_EVENTS.join(', ')}` });
    return undefined;
  }
  if (typeof raw === 'string' && (WEBHOOK_EVENTS as readonly string[]).includes(raw)) return raw;
  const shown = typeof raw === 'string' ? `"${raw}"` : 'not text';
  const suggestion = typeof raw === 'string' ? didYouMean(raw, WEBHOOK_EVENTS) : undefined;
  issues.push({ path: at, message: `event ${shown} is not a micro1 webhook event`, hint: suggestion ? `did you mean "${suggestion}"?` : `one of ${WEBHOOK_EVENTS.join(', ')}` });
  return undefined;
}
