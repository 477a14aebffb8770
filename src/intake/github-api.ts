/**
 * GitHub's secret-scanning REST API through @octokit/request: the alert (which holds the
 * secret: only the key id is read from it, in github-secret-scanning.ts) and its locations.
 * Pointed at GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3).
 */
import { request } from '@octokit/request';
import type { FetchedAlert, WebhookAlertRef } from './github-secret-scanning';

export interface SecretScanningApi {
  fetchAlert(ref: WebhookAlertRef): Promise<FetchedAlert>;
}

export class GitHubSecretScanningApi implements SecretScanningApi {
  private readonly req: typeof request;
  private readonly timeoutMs: number;

  constructor(opts: { token: string; baseUrl: string; timeoutMs?: number }) {
    this.req = request.defaults({
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
      headers: { authorization: `Bearer ${opts.token}`, 'x-github-api-version': '2022-11-28', 'user-agent': 'keyguard' },
    });
    // GitHub gives a webhook 10 s: both reads must finish well within that.
    this.timeoutMs = opts.timeoutMs ?? 4000;
  }

  async fetchAlert(ref: WebhookAlertRef): Promise<FetchedAlert> {
    const params = { owner: ref.owner, repo: ref.repo, alert_number: ref.number, request: { signal: AbortSignal.timeout(this.timeoutMs) } };
    const alert = await this.req('GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}', params);
    const locations = await this.req('GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}/locations', { ...params, per_page: 100 });
    const data = alert.data as unknown as Record<string, unknown>;
    const repository = data.repository as { html_url?: string } | undefined;
    return { alert: data, locations: locations.data as unknown[], repositoryHtmlUrl: repository?.html_url };
  }
}

/** A GitHub API failure described without anything the response or request might carry. */
export function describeGitHubError(e: unknown): { status?: number; message: string } {
  const err = e as { status?: number; name?: string; message?: string };
  const status = typeof err.status === 'number' ? err.status : undefined;
  const hint = status === 401 ? 'GITHUB_TOKEN was refused'
    : status === 403 ? 'GITHUB_TOKEN lacks the secret scanning alerts (read) permission, or is rate limited'
    : status === 404 ? 'no such alert, or GITHUB_TOKEN cannot see the repository'
    : `${err.name ?? 'Error'}: ${String(err.message ?? '').slice(0, 120)}`;
  return { status, message: hint };
}
