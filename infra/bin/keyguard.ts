#!/usr/bin/env node
/**
 * CDK entry point. Examples (from infra/):
 *   npx cdk deploy Keyguard -c desiredCount=0 -c approvers=U0123ABCD
 *   npx cdk deploy KeyguardResponder -c botAccount=111111111111      # in each other account
 * Every context key is described in lib/app.ts and infra/README.md.
 */
import { App } from 'aws-cdk-lib';
import { buildKeyguardApp } from '../lib/app';

const app = new App();
const { responder } = buildKeyguardApp(app);
if (!responder) {
  process.stderr.write('note: KeyguardResponder is not synthesized; pass -c botAccount=<the bot account id> to get it.\n');
}
app.synth();
