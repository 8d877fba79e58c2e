// The batch's progress line on stderr: files done, files/s, bytes fetched; redrawn at most every
// 200 ms with a carriage return, and ended with a newline.

import { human } from "../cli/output.ts";

export class Progress {
  private done = 0;
  private bytes = 0;
  private last = 0;
  private readonly t0 = performance.now();

  constructor(private readonly total: number, private readonly enabled: boolean) {}

  tick(bytes: number): void {
    this.done++;
    this.bytes += bytes;
    const now = performance.now();
    if (this.enabled && (now - this.last > 200 || this.done === this.total)) {
      this.last = now;
      this.draw(now);
    }
  }

  private draw(now: number): void {
    const s = (now - this.t0) / 1000;
    const rate = s > 0 ? this.done / s : 0;
    process.stderr.write(`\r${this.done}/${this.total} files  ${rate.toFixed(1)} files/s  ${human(this.bytes)} fetched   `);
  }

  end(): void {
    if (!this.enabled) return;
    this.draw(performance.now());
    process.stderr.write("\n");
  }
}
