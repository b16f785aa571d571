/**
 * The load generator, run as a child process (`fork`) so the client never shares an event loop with the
 * servers it measures. It takes one {@link LoadJob} at a time over IPC and answers with {@link LoadStats}:
 * a fixed number of keep-alive connections, each sending its next request as soon as the previous answer
 * has been read (no pipelining), until the time is up or the request pool runs out.
 *
 * Two clients: `raw` writes HTTP/1.1 requests on `node:net` sockets and reads answers by Content-Length
 * (both servers always send one), so it costs the client little CPU and the baseline measures the server;
 * `http` is node:http with a keep-alive Agent, heavier per request.
 */
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One request to send; `body` is sent as is (its length is precomputed by the client). */
export interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** A timed run against one server. */
export interface LoadJob {
  type: 'run';
  id: number;
  host: string;
  port: number;
  /** Concurrent keep-alive connections. */
  connections: number;
  /** How long to keep sending, in milliseconds (the run also ends when `bodies` runs out). */
  durationMs: number;
  /** The request sent every time, with `{{body}}` standing for the next of `bodies` when given. */
  template: LoadRequest;
  /** Distinct bodies, each sent once (token requests: one fresh assertion each). Absent: `template.body` every time. */
  bodies?: string[];
  /** The status that counts as a success. */
  expectStatus: number;
  /** Which client sends: `raw` (node:net) or `http` (node:http Agent). */
  client: 'raw' | 'http';
}

/** What a run measured. */
export interface LoadStats {
  type: 'stats';
  id: number;
  /** Requests answered (any status). */
  completed: number;
  /** Requests answered with the expected status. */
  ok: number;
  /** Requests that got no answer (reset, refused). */
  errors: number;
  /** Answers by status, e.g. `{ "202": 41000 }`. */
  statuses: Record<string, number>;
  /** From the first request sent to the last answer read. */
  elapsedMs: number;
  /** `ok / elapsed`: only successful requests count towards throughput. */
  rps: number;
  latencyMs: { p50: number; p99: number };
  /** The client's own CPU time over the run, as a share of one core: near 1 means the client was the limit. */
  clientCpu: number;
  /** True when the request pool ran out before the time did. */
  exhausted: boolean;
  /** The first error seen, for the report. */
  firstError?: string;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

/** One keep-alive connection that sends a request and resolves with the answer's status (0: no answer). */
interface Sender {
  send(body: string | undefined): Promise<number>;
  close(): void;
}

/**
 * A keep-alive HTTP/1.1 connection on a raw socket: one request at a time, the answer read by its
 * Content-Length. Reconnects when the server closes an idle connection.
 */
class RawConnection implements Sender {
  #socket: Socket | undefined;
  #buffer: Buffer | undefined;
  #waiting: ((status: number) => void) | undefined;
  #closed = false;
  readonly #head: string;
  readonly #fixed: Buffer | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    template: LoadRequest,
    readonly onError: (message: string) => void,
  ) {
    const headers = Object.entries({ host: `${host}:${port}`, connection: 'keep-alive', ...template.headers })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    this.#head = `${template.method} ${template.path} HTTP/1.1\r\n${headers}`;
    this.#fixed = template.body === undefined ? undefined : this.#request(template.body);
  }

  #request(body: string): Buffer {
    return Buffer.from(`${this.#head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  #connect(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('error', (error) => this.onError(error.message));
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#buffer = undefined;
      // An answer cut off by the close never comes.
      this.#settle(0);
    });
    return socket;
  }

  #read(chunk: Buffer): void {
    const buffer = this.#buffer ? Buffer.concat([this.#buffer, chunk]) : chunk;
    const headEnd = buffer.indexOf('\r\n\r\n');
    if (headEnd === -1) return void (this.#buffer = buffer);
    const head = buffer.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      this.onError('an answer without Content-Length');
      this.#socket?.destroy();
      return;
    }
    const total = headEnd + 4 + Number(length[1]);
    if (buffer.length < total) return void (this.#buffer = buffer);
    this.#buffer = buffer.length > total ? buffer.subarray(total) : undefined;
    this.#settle(Number(head.slice(9, 12)));
  }

  #settle(status: number): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(status);
  }

  send(body: string | undefined): Promise<number> {
    if (this.#closed) return Promise.resolve(0);
    this.#socket ??= this.#connect();
    const socket = this.#socket;
    return new Promise((resolve) => {
      this.#waiting = resolve;
      socket.write(body === undefined ? (this.#fixed ?? this.#request('')) : this.#request(body));
    });
  }

  close(): void {
    this.#closed = true;
    this.#socket?.destroy();
  }
}

/** node:http through a shared keep-alive Agent. */
function httpSenders(job: LoadJob, onError: (message: string) => void): Sender[] {
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections, maxFreeSockets: job.connections });
  const fixedLength = job.template.body === undefined ? undefined : String(Buffer.byteLength(job.template.body));
  const send = (poolBody: string | undefined): Promise<number> =>
    new Promise((resolve) => {
      const body = poolBody ?? job.template.body;
      const length = poolBody === undefined ? fixedLength : String(Buffer.byteLength(poolBody));
      const headers = length === undefined ? job.template.headers : { ...job.template.headers, 'content-length': length };
      const req = request({ agent, host: job.host, port: job.port, method: job.template.method, path: job.template.path, headers }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (error) => {
          onError(error.message);
          resolve(0);
        });
      });
      req.on('error', (error) => {
        onError(error.message);
        resolve(0);
      });
      req.end(body);
    });
  return Array.from({ length: job.connections }, () => ({ send, close: () => agent.destroy() }));
}

async function run(job: LoadJob): Promise<LoadStats> {
  const statuses: Record<string, number> = {};
  const pool = job.bodies;
  const limit = pool ? pool.length : Number.POSITIVE_INFINITY;
  // Latencies go into a preallocated buffer: no allocation per request in the hot path.
  const latencies = new Float64Array(pool ? pool.length : 2_000_000);
  let next = 0;
  let completed = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let exhausted = false;
  const onError = (message: string): void => void (firstError ??= message);
  const senders =
    job.client === 'raw' ? Array.from({ length: job.connections }, () => new RawConnection(job.host, job.port, job.template, onError)) : httpSenders(job, onError);

  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const deadline = started + job.durationMs;
  let lastAnswer = started;

  const worker = async (sender: Sender): Promise<void> => {
    while (performance.now() < deadline) {
      if (next >= limit) {
        exhausted = true;
        return;
      }
      const index = next++;
      const sentAt = performance.now();
      const status = await sender.send(pool ? pool[index] : undefined);
      lastAnswer = performance.now();
      if (status === 0) {
        errors++;
        continue;
      }
      if (completed < latencies.length) latencies[completed] = lastAnswer - sentAt;
      completed++;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === job.expectStatus) ok++;
    }
  };
  await Promise.all(senders.map(worker));
  const cpu = process.cpuUsage(cpuBefore);
  for (const sender of senders) sender.close();

  const elapsedMs = lastAnswer - started;
  const sorted = latencies.slice(0, Math.min(completed, latencies.length)).sort();
  return {
    type: 'stats',
    id: job.id,
    completed,
    ok,
    errors,
    statuses,
    elapsedMs,
    rps: elapsedMs > 0 ? (ok * 1000) / elapsedMs : 0,
    latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) },
    clientCpu: elapsedMs > 0 ? (cpu.user + cpu.system) / 1000 / elapsedMs : 0,
    exhausted,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

// Only as a forked child: the parent's IPC channel is the one way in and out.
if (process.send) {
  process.on('message', (message: LoadJob | { type: 'exit' }) => {
    if (message.type === 'exit') return void process.disconnect();
    run(message).then(
      (stats) => process.send!(stats),
      (error: unknown) => process.send!({ type: 'failed', id: message.id, message: String(error) }),
    );
  });
  // The parent is gone (crashed or killed): do not linger.
  process.on('disconnect', () => process.exit(0));
}
