/**
 * Follow-ups (Identify, the approval request, auto-containment) run here after their
 * record is written, at most `concurrency` at a time, so a burst of reports never holds up
 * receiving and recording the next ones. `drain` waits for all of them (shutdown).
 */
export class WorkPool {
  private running = 0;
  private readonly queue: Array<() => Promise<void>> = [];
  private readonly idle: Array<() => void> = [];

  constructor(private readonly concurrency: number, private readonly onError: (e: unknown) => void) {}

  get size(): number {
    return this.running + this.queue.length;
  }

  run(job: () => Promise<void>): void {
    this.queue.push(job);
    this.next();
  }

  private next(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      job()
        .catch((e) => this.onError(e))
        .finally(() => {
          this.running--;
          this.next();
          if (this.size === 0) this.idle.splice(0).forEach((r) => r());
        });
    }
  }

  drain(): Promise<void> {
    return this.size === 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }
}
