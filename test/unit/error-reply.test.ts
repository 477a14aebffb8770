import { errorReply } from '../../src/slack/error-reply';
import { KeyguardError, fromAwsError } from '../../src/errors';

it('a known error is shown as its own message', () => {
  expect(errorReply(new KeyguardError('GUARD_RAIL', 'Refusing to act on role keyguard-bot: the bot is running as that role'))).toEqual({
    text: 'Refusing to act on role keyguard-bot: the bot is running as that role',
  });
});

it('an unknown error becomes a correlation id, with no internals', () => {
  const r = errorReply(new Error('socket hang up at 10.0.0.1 with xoxb-secret'), () => 'abc12345');
  expect(r.correlationId).toBe('abc12345');
  expect(r.text).toContain('`abc12345`');
  expect(r.text).not.toContain('socket');
  expect(r.text).not.toContain('xoxb');
});

it('AWS errors name the action that was denied or throttled', () => {
  const denied = Object.assign(new Error('no'), { name: 'AccessDenied' });
  expect(fromAwsError(denied, 'iam:GetAccessKeyLastUsed').userMessage).toContain('Grant it `iam:GetAccessKeyLastUsed`');
  const throttled = Object.assign(new Error('slow'), { name: 'Throttling' });
  expect(fromAwsError(throttled, 'iam:ListAccessKeys')).toMatchObject({ code: 'AWS_THROTTLED' });
});
