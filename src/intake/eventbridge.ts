/**
 * One SQS message body from the intake queue → intake records. EventBridge delivers the
 * event itself as the body; a body wrapped by SNS (`Type: Notification`) is unwrapped.
 * Routes on `source` and `detail-type`. Pure.
 */
import { fromHealthEvent, HEALTH_DETAIL_TYPE, HEALTH_SOURCE } from './aws-health';
import { fromGuardDutyFinding, GUARDDUTY_DETAIL_TYPE, GUARDDUTY_SOURCE } from './guardduty';
import { IntakeParse, isObject, str } from './record';

export function parseQueueMessage(body: string | undefined): IntakeParse {
  if (!body || body.trim() === '') return { ok: false, reason: 'empty message body' };
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch (e) {
    return { ok: false, reason: `message body is not JSON (${(e as Error).message.slice(0, 120)})` };
  }
  if (isObject(event) && event.Type === 'Notification' && typeof event.Message === 'string') {
    return parseQueueMessage(event.Message);
  }
  if (!isObject(event)) return { ok: false, reason: 'message body is not a JSON object' };
  const source = str(event.source);
  const detailType = str(event['detail-type']);
  if (source === HEALTH_SOURCE && detailType === HEALTH_DETAIL_TYPE) return fromHealthEvent(event);
  if (source === GUARDDUTY_SOURCE && detailType === GUARDDUTY_DETAIL_TYPE) return fromGuardDutyFinding(event);
  return { ok: false, unrecognised: true, reason: `not an intake event: source ${source ?? '(none)'}, detail-type ${detailType ?? '(none)'}` };
}
