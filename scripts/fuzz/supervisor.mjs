// One supervised child process (worker.mjs) reused for a batch of inputs: each input gets a
// wall-clock limit and an RSS limit (polled from /proc on Linux, from the child's own reports
// elsewhere). A child that times out, grows past the limit or dies is killed and replaced, and
// the input is classified timeout / oom / crash.
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const WORKER = join(import.meta.dirname, "worker.mjs");
const PAGE = 4096;
const RESTART_EVERY = 2000; // a fresh child now and then keeps one slow leak from skewing later RSS checks

function rssOf(pid) {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, "latin1").split(" ");
    return Number(statm[1]) * PAGE;
  } catch {
    return null;
  }
}

export class Supervisor {
  constructor({ timeoutMs, rssBytes, root }) {
    this.timeoutMs = timeoutMs;
    this.rssBytes = rssBytes;
    this.root = root;
    this.child = null;
    this.ready = null;
    this.served = 0;
    this.nextId = 1;
    this.stderr = "";
  }

  async start() {
    this.stderr = "";
    const child = fork(WORKER, [], {
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: { ...process.env, OMNIMODEL_FUZZ_ROOT: process.env.OMNIMODEL_FUZZ_ROOT ?? this.root },
      execArgv: ["--max-old-space-size=2048", "--stack-size=984"],
    });
    child.stderr.on("data", (d) => { this.stderr = (this.stderr + d).slice(-4000); });
    this.child = child;
    this.served = 0;
    await new Promise((res, rej) => {
      const onMsg = (m) => { if (m?.ready) { child.off("message", onMsg); res(); } };
      child.on("message", onMsg);
      child.once("exit", (code) => rej(new Error(`fuzz worker exited during start (${code}): ${this.stderr}`)));
    });
    child.removeAllListeners("exit");
  }

  kill() {
    if (this.child && this.child.exitCode === null) this.child.kill("SIGKILL");
    this.child = null;
  }

  /** Runs one input; resolves to the worker's answer or a supervisor verdict. */
  async run(bytes, name, dir, cap) {
    if (!this.child || this.served >= RESTART_EVERY) {
      this.kill();
      await this.start();
    }
    this.served++;
    const child = this.child;
    const id = this.nextId++;
    const t0 = performance.now();
    return new Promise((resolve) => {
      let peak = 0;
      let done = false;
      const finish = (r, restart) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        child.off("message", onMsg);
        child.off("exit", onExit);
        if (restart) this.kill();
        resolve({ ms: performance.now() - t0, peakRss: peak, ...r });
      };
      const onMsg = (m) => {
        if (m?.id !== id) return;
        peak = Math.max(peak, m.rss ?? 0);
        const restart = m.outcome === "trap" || m.outcome === "untyped";
        if (m.rss > this.rssBytes) finish({ ...m, outcome: "oom", first: { where: "after", message: `RSS ${(m.rss / 2 ** 20).toFixed(0)} MiB after the input` } }, true);
        else finish(m, restart);
      };
      const onExit = (code, signal) => {
        const oom = /out of memory|allocation failed/i.test(this.stderr);
        finish({ outcome: oom ? "oom" : "crash", first: { where: "process", message: `worker exited (${code ?? signal}): ${this.stderr.slice(-1500)}` } }, true);
      };
      const timer = setTimeout(() => finish({ outcome: "timeout", first: { where: "supervisor", message: `no answer after ${this.timeoutMs} ms` } }, true), this.timeoutMs);
      const poll = setInterval(() => {
        const rss = rssOf(child.pid);
        if (rss === null) return;
        peak = Math.max(peak, rss);
        if (rss > this.rssBytes) finish({ outcome: "oom", first: { where: "supervisor", message: `RSS ${(rss / 2 ** 20).toFixed(0)} MiB over the ${(this.rssBytes / 2 ** 20).toFixed(0)} MiB limit` } }, true);
      }, 50);
      child.on("message", onMsg);
      child.on("exit", onExit);
      child.send({ id, bytes, name, dir, cap });
    });
  }
}
