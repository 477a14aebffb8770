/**
 * Uploads a file from disk to a channel or thread with Slack's external upload flow
 * (files.getUploadURLExternal → POST the bytes → files.completeUploadExternal), streaming
 * the file so a 100,000-event export does not sit in memory.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { WebClient } from '@slack/web-api';

export interface UploadItem {
  path: string;
  filename: string;
  title: string;
}

export async function uploadFiles(client: WebClient, items: UploadItem[], to: { channel: string; threadTs?: string; comment?: string }): Promise<string[]> {
  const ids: Array<{ id: string; title: string }> = [];
  for (const item of items) {
    const size = fs.statSync(item.path).size;
    const ticket = await client.files.getUploadURLExternal({ filename: item.filename, length: size });
    if (!ticket.upload_url || !ticket.file_id) throw new Error('files.getUploadURLExternal gave no upload URL');
    const res = await fetch(ticket.upload_url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: Readable.toWeb(fs.createReadStream(item.path)) as unknown as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as Parameters<typeof fetch>[1] & { duplex: "half" });
    if (!res.ok) throw new Error(`upload of ${item.filename} failed: HTTP ${res.status}`);
    ids.push({ id: ticket.file_id, title: item.title });
  }
  await client.files.completeUploadExternal({
    files: ids as [{ id: string; title: string }],
    channel_id: to.channel,
    ...(to.threadTs ? { thread_ts: to.threadTs } : {}),
    ...(to.comment ? { initial_comment: to.comment } : {}),
  });
  return ids.map((i) => i.id);
}
