import type { ResourceKind } from './resource-kind.js';
import { webhookKind } from './webhook.js';

export type { ResourceBody, ResourceIssue, ResourceKind } from './resource-kind.js';

/** Every kind beside interviews, in the order plans list them. A new kind is one entry here. */
export const KINDS: readonly ResourceKind[] = [webhookKind];

export function kindNamed(name: string): ResourceKind | undefined {
  return KINDS.find((k) => k.name === name);
}
