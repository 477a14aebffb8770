import { detectionSettings } from '../../src/wiring';
import { loadConfig } from '../../src/config';

const base = { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'secret', IR_RESPONDERS: 'U0RESPOND', IR_APPROVERS: 'U0APPROVE' };

it('passes IR_USUAL_REGIONS and the target role (name or path/name) to the rules', () => {
  expect(detectionSettings(loadConfig({ ...base, IR_USUAL_REGIONS: 'eu-west-1,us-east-1', IR_TARGET_ROLE_NAME: 'security/keyguard-responder' }))).toEqual({
    usualRegions: ['eu-west-1', 'us-east-1'],
    ownActivity: { roleNames: ['keyguard-responder'] },
  });
});

it('unset: regions learned per pull, keyguard sessions recognised by name alone', () => {
  expect(detectionSettings(loadConfig(base))).toEqual({ usualRegions: [], ownActivity: { roleNames: [] } });
});
