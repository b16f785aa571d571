/**
 * Test helpers for the emulator tier: an org on port 0 with a manual clock, and a tiny HTTP client that
 * speaks SSWS or Bearer. Tests reach only loopback.
 */
import { buildEmulator, ManualClock, type Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';

export interface TestOrg {
  emulator: Emulator;
  clock: ManualClock;
  url: string;
  apiToken: string;
  close(): Promise<void>;
}

export const START = Date.UTC(2026, 10, 28, 12, 0, 0);

export async function startOrg(options: EmulatorOptions = {}): Promise<TestOrg> {
  const clock = new ManualClock(START);
  const emulator = await buildEmulator({ clock, ...options });
  const url = await emulator.listen({ port: 0 });
  return { emulator, clock, url, apiToken: emulator.apiToken, close: () => emulator.close() };
}

export interface CallOptions {
  /** JSON-serialized unless it is a string or URLSearchParams. */
  body?: unknown;
  /** `Authorization` header value; default `SSWS <apiToken>`. Pass `null` to send none. */
  auth?: string | null;
  headers?: Record<string, string>;
}

export interface CallResult<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  body: T;
  text: string;
}

export async function call<T = any>(org: TestOrg, method: string, path: string, options: CallOptions = {}): Promise<CallResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const auth = options.auth === undefined ? `SSWS ${org.apiToken}` : options.auth;
  if (auth !== null) headers.authorization = auth;
  let body: string | undefined;
  if (options.body instanceof URLSearchParams) {
    body = options.body.toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (typeof options.body === 'string') {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(org.url + path, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined, text };
}
