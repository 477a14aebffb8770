/** Telling the key's owner what happened (Slack DM). */
export interface OwnerContactPort {
  notifyOwner(o: { incidentId: string; keyId: string; tags: Record<string, string>; text: string }): Promise<{ reached?: string; summary: string }>;
}
