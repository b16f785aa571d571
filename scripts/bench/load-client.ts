/**
 * The load generator, run as a child process (`fork`) so the client never shares an event loop with the
 * servers it measures. It takes one {@link LoadJob} at a time over IPC and answers with {@link LoadStats}:
 * a fixed number of keep-alive connections (node:http Agent), each sending its next request as soon as the
 * previous answer has been read, until the time is up or the request pool runs out.
 */
import { Agent, request } from 'node:http';
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

async function run(job: LoadJob): Promise<LoadStats> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections, maxFreeSockets: job.connections });
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
  const fixedBody = job.template.body;
  const fixedLength = fixedBody === undefined ? undefined : String(Buffer.byteLength(fixedBody));

  const send = (body: string | undefined, length: string | undefined): Promise<number> =>
    new Promise((resolve) => {
      const headers = length === undefined ? job.template.headers : { ...job.template.headers, 'content-length': length };
      const req = request({ agent, host: job.host, port: job.port, method: job.template.method, path: job.template.path, headers }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (error) => {
          firstError ??= error.message;
          resolve(0);
        });
      });
      req.on('error', (error) => {
        firstError ??= error.message;
        resolve(0);
      });
      req.end(body);
    });

  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const deadline = started + job.durationMs;
  let lastAnswer = started;

  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      if (next >= limit) {
        exhausted = true;
        return;
      }
      const index = next++;
      const body = pool ? pool[index] : fixedBody;
      const length = pool ? String(Buffer.byteLength(body!)) : fixedLength;
      const sentAt = performance.now();
      const status = await send(body, length);
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
  await Promise.all(Array.from({ length: job.connections }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();

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
