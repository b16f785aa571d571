/**
 * The parent's side of the load generator: forks `load-client.ts` once and hands it one job at a time.
 * The child is killed by `close()`, and by the child's own watch on the IPC channel if this process dies.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadStats } from './load-client.ts';

export type { LoadRequest, LoadStats } from './load-client.ts';

const CLIENT_FILE = fileURLToPath(new URL('./load-client.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Reply = LoadStats | { type: 'failed'; id: number; message: string };

export class LoadClient {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve(stats: LoadStats): void; reject(error: Error): void }>();
  #ids = 0;
  #exited: Error | undefined;

  constructor() {
    // tsx as a loader, so the child runs the TypeScript file with no build step.
    this.#child = fork(CLIENT_FILE, [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (reply: Reply) => {
      const waiter = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      if (reply.type === 'failed') waiter?.reject(new Error(`load client: ${reply.message}`));
      else waiter?.resolve(reply);
    });
    this.#child.on('exit', (code, signal) => {
      this.#exited = new Error(`the load client exited (code ${code}, signal ${signal})`);
      for (const waiter of this.#waiting.values()) waiter.reject(this.#exited);
      this.#waiting.clear();
    });
  }

  /** The child's pid, for cleanup on exit. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  run(job: Omit<LoadJob, 'type' | 'id'>): Promise<LoadStats> {
    if (this.#exited) return Promise.reject(this.#exited);
    const id = ++this.#ids;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#child.send({ type: 'run', id, ...job } satisfies LoadJob);
    });
  }

  /** Asks the child to leave; kills it if it has not after a second. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    if (this.#child.connected) this.#child.send({ type: 'exit' });
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort for `process.on('exit')`. */
  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}
