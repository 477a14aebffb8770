/**
 * Containment in IAM, the public face: the playbook's Contain, Undo, Eradicate and Remove
 * steps (AwsContainment) and the revocation of role sessions (AwsRoleSessions). Reads go
 * through account access; every write through the responder role's session narrowed to the
 * step's plan.
 */
export { AwsContainment } from './containment-adapter';
export { AwsRoleSessions } from './role-sessions';
