/** Who may do what (implemented on Slack membership and user groups in src/slack/directory.ts). */
export interface AccessPolicy {
  /** IR_RESPONDERS names who may use the bot (`*`: every member of the installed workspace, a trial). */
  isResponder(userId: string): Promise<boolean>;
  /** Empty IR_APPROVERS means nobody can approve: approvals must be configured explicitly. */
  isApprover(userId: string): Promise<boolean>;
  readonly approversConfigured: boolean;
  /** IR_RESPONDERS is `*` (a trial): every member of the installed workspace is a responder. */
  readonly openToWorkspace?: boolean;
}
