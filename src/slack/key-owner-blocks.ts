/**
 * Block Kit for `/key-owner`. Pure: facts and `now` in, blocks out.
 */
import type { KeyFacts, RiskFlag } from '../domain/key-facts';
import { ago, ownerTags, riskFlags } from '../domain/key-facts';
import type { ParsedKeyId } from '../domain/key-id';
import { clip, esc, listWithin, mrkdwn, plain } from './text';
import { dayMinute } from '../domain/time';

export type { Block } from './blocks';
import type { Block } from './blocks';

const ICON: Record<RiskFlag['severity'], string> = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':white_circle:' };

const KEY_ID_USAGE =
  'An access key id is `AKIA` (IAM user) or `ASIA` (temporary) followed by 16 characters of A–Z and 2–7, e.g. `AKIAIOSFODNN7EXAMPLE`.';

/** The answer to input that is not a key id. Never echoes what was typed when it may be a secret. */
export function badKeyIdBlocks(command: string, parsed: Extract<ParsedKeyId, { ok: false }>): { text: string; blocks: Block[] } {
  if (parsed.problem === 'secret-pasted') {
    const text =
      ':rotating_light: *That looks like a secret access key, not a key id.* Do not paste secrets into Slack: ' +
      'delete your message now, then treat that key as leaked. Run ' +
      `\`${command} AKIA…\` with the key *id* (it starts with AKIA or ASIA).`;
    return { text: 'That looks like a secret access key. Delete your message.', blocks: [{ type: 'section', text: mrkdwn(text) }] };
  }
  const why = parsed.problem === 'empty' ? 'Give me an access key id.' : `That is not an access key id: ${esc(parsed.detail)}.`;
  const text = `${why}\n${KEY_ID_USAGE}\nUsage: \`${command} <access-key-id>\``;
  return { text: `${why} Usage: ${command} <access-key-id>`, blocks: [{ type: 'section', text: mrkdwn(text) }] };
}

export function keyOwnerBlocks(f: KeyFacts, now: Date): { text: string; blocks: Block[] } {
  const flags = riskFlags(f, now);
  const owner = f.user?.userName;
  const title = f.kind === 'temporary'
    ? `Temporary key ${f.keyId}`
    : owner ? `Key ${f.keyId} belongs to ${owner}` : `Key ${f.keyId}`;
  const blocks: Block[] = [{ type: 'header', text: plain(title) }];

  if (flags.length > 0) {
    const lines = flags.map((fl) => `${ICON[fl.severity]} ${esc(fl.text)}`);
    blocks.push({ type: 'section', text: mrkdwn(clip(lines.join('\n'), 3000)) });
  }

  const fields: string[] = [`*Account*\n${f.account}${f.sameAccount ? ' (this bot\'s account)' : ''}`];
  if (f.kind === 'temporary') {
    fields.push('*Type*\nTemporary credentials (STS). Trace the role that issued them with `/trail`.');
  }
  if (f.status) fields.push(`*Status*\n${f.status}`);
  if (f.createdAt) fields.push(`*Created*\n${f.createdAt.slice(0, 10)} (${ago(f.createdAt, now)})`);
  if (f.lastUsed) {
    const lu = f.lastUsed;
    const val = lu.at
      ? `${dayMinute(lu.at)} UTC (${ago(lu.at, now)})${lu.service && lu.service !== 'N/A' ? `\n${lu.service}` : ''}${lu.region && lu.region !== 'N/A' ? ` in ${lu.region}` : ''}`
      : 'never used';
    fields.push(`*Last used*\n${val}`);
  }
  const u = f.user;
  if (u) {
    fields.push(`*IAM user*\n${esc(u.userName)}${u.createdAt ? ` (since ${u.createdAt.slice(0, 10)})` : ''}`);
    const tags = ownerTags(u.tags);
    fields.push(`*Owner tags*\n${tags.length > 0 ? esc(listWithin(tags.map(([k, v]) => `${k}=${v}`), 6)) : 'none'}`);
    fields.push(`*Console password*\n${u.consolePassword ? 'yes' : 'no'}`);
    fields.push(`*MFA*\n${u.mfaDevices.length > 0 ? `${u.mfaDevices.length} device(s)` : 'none'}`);
    fields.push(`*Groups*\n${u.groups.length > 0 ? esc(listWithin(u.groups, 10)) : 'none'}`);
    fields.push(`*Other keys*\n${u.otherKeys.length > 0 ? listWithin(u.otherKeys.map((k) => `${k.accessKeyId} (${k.status})`), 4) : 'none'}`);
  }
  blocks.push({ type: 'section', fields: fields.slice(0, 10).map((t) => mrkdwn(t, 2000)) });

  if (u) {
    const policyLine = (label: string, ps: Array<{ name: string; admin?: boolean }>) =>
      `*${label}:* ${ps.length > 0 ? esc(listWithin(ps.map((p) => (p.admin ? `${p.name} (admin)` : p.name)), 15)) : 'none'}`;
    blocks.push({
      type: 'section',
      text: mrkdwn(
        [policyLine('Attached policies', u.attachedPolicies), policyLine('Inline policies', u.inlinePolicies), policyLine('Through groups', u.groupPolicies)].join('\n'),
      ),
    });
  }
  if (f.kind === 'temporary') {
    blocks.push({ type: 'context', elements: [mrkdwn('Temporary keys cannot be deactivated. Containment revokes the sessions of the role that issued them.')] });
  } else if (!f.sameAccount && f.viaRole) {
    blocks.push({ type: 'context', elements: [mrkdwn(`Looked up inside account ${f.account} through \`${esc(f.viaRole)}\`. Next: \`/revoke-key ${f.keyId} <reason>\`.`)] });
  } else if (!f.sameAccount) {
    blocks.push({
      type: 'context',
      elements: [mrkdwn(`To look inside account ${f.account}, set \`IR_TARGET_ROLE_NAME\` to a role there that trusts the bot.`)],
    });
  } else {
    blocks.push({ type: 'context', elements: [mrkdwn(`Next: \`/revoke-key ${f.keyId} <reason>\` to contain it.`)] });
  }
  const summary = [title, ...flags.map((x) => x.text)].join(' · ');
  return { text: clip(summary, 3000), blocks };
}

export function notAllowedBlocks(command: string): { text: string; blocks: Block[] } {
  const text = `Sorry, \`${command}\` is limited to the incident responders configured for this bot. Ask your security team to add you to \`IR_RESPONDERS\`.`;
  return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
}
