/**
 * What every bench module exports, and a markdown table printer (so figures paste
 * straight into BENCHMARKS.md).
 */
export interface Bench {
  name: string;
  /** Runs the bench and prints its tables; throws when a figure shows a failure. */
  run(): Promise<void>;
}

export function markdownTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

export const fixed = (n: number, digits = 2) => n.toFixed(digits);
export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
