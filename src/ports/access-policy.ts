/** Who may do what (implemented on Slack membership and user groups in src/slack/directory.ts). */
export interface AccessPolicy {
  /** Empty IR_RESPONDERS means every member of the workspace may use the read-only commands. */
  isResponder(userId: string): Promise<boolean>;
  /** Empty IR_APPROVERS means nobody can approve: approvals must be configured explicitly. */
  isApprover(userId: string): Promise<boolean>;
  readonly approversConfigured: boolean;
}
