/** What happened to the owner's key, as far as the record shows. */
export interface OwnerNotice {
  incidentId: string;
  keyId: string;
  /** Why the key was reported (the requester's words). */
  reason: string;
  done: 'dry_run' | 'deleted' | 'deactivated' | 'in_progress';
}

/** Telling the key's owner what happened (Slack DM; the adapter words the message). */
export interface OwnerContactPort {
  notifyOwner(o: { incidentId: string; keyId: string; tags: Record<string, string>; notice: OwnerNotice }): Promise<{ reached?: string; summary: string }>;
}
