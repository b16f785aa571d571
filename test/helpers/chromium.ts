/**
 * Headless Chromium (Debian's package) driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
 * no port, no WebSocket, no extra dependency). Every request a page makes is paused by the Fetch domain,
 * recorded and failed, except the page's own file: so a test can open a page with the network blocked and
 * read back exactly what it tried to fetch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

/** Where Debian's chromium package puts the browser; `CHROMIUM` overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-default-apps',
  '--mute-audio',
  '--hide-scrollbars',
];

type Message = { id?: number; method?: string; params?: any; result?: any; error?: { message: string }; sessionId?: string };

export interface OpenOptions {
  width: number;
  height: number;
  /** `prefers-color-scheme`. Default light. */
  colorScheme?: 'light' | 'dark';
  /** Emulate a phone (touch, mobile viewport). */
  mobile?: boolean;
}

export interface OpenedPage {
  /** Every URL the page asked for besides its own file, in order (each was refused). */
  requests: string[];
  evaluate<T>(expression: string): Promise<T>;
  /** Prints the page to PDF (as a person printing it would: `beforeprint` runs first). */
  printToPdf(): Promise<Buffer>;
  /** A PNG of the viewport, or of the whole page with `fullPage`. */
  screenshot(options?: { fullPage?: boolean }): Promise<Buffer>;
  close(): Promise<void>;
}

export class Chromium {
  readonly #process: ChildProcess;
  readonly #userDataDir: string;
  readonly #pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
  readonly #listeners = new Set<(m: Message) => void>();
  #nextId = 1;
  #buffer = '';

  private constructor(child: ChildProcess, userDataDir: string) {
    this.#process = child;
    this.#userDataDir = userDataDir;
    const output = child.stdio[4] as Readable;
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.#buffer += chunk;
      for (let end = this.#buffer.indexOf('\0'); end !== -1; end = this.#buffer.indexOf('\0')) {
        const message = JSON.parse(this.#buffer.slice(0, end)) as Message;
        this.#buffer = this.#buffer.slice(end + 1);
        if (message.id !== undefined) {
          const waiter = this.#pending.get(message.id);
          this.#pending.delete(message.id);
          if (message.error) waiter?.reject(new Error(message.error.message));
          else waiter?.resolve(message.result);
        } else {
          for (const listener of this.#listeners) listener(message);
        }
      }
    });
  }

  /** Starts the browser with a fresh profile. */
  static async launch(): Promise<Chromium> {
    const userDataDir = mkdtempSync(join(tmpdir(), 'okta-risk-chromium-'));
    const child = spawn(CHROMIUM_PATH, [...FLAGS, `--user-data-dir=${userDataDir}`, '--remote-debugging-pipe', 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-4000)));
    const browser = new Chromium(child, userDataDir);
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`chromium exited with ${code}: ${stderr}`))));
    await Promise.race([browser.send('Browser.getVersion'), exited]);
    return browser;
  }

  send<T = any>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      (this.#process.stdio[3] as Writable).write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  #waitFor(sessionId: string, method: string): Promise<any> {
    return new Promise((resolve) => {
      const listener = (m: Message): void => {
        if (m.sessionId === sessionId && m.method === method) {
          this.#listeners.delete(listener);
          resolve(m.params);
        }
      };
      this.#listeners.add(listener);
    });
  }

  /** Opens a local file in a new tab with every other request refused and recorded. */
  async open(file: string, options: OpenOptions): Promise<OpenedPage> {
    const url = pathToFileURL(file).href;
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    const requests: string[] = [];
    // One entry per request, whichever event names it first (the Fetch pause or the Network notice).
    const seen = new Set<string>();
    const record = (id: string, asked: string): void => {
      if (asked === url || asked.startsWith('data:') || seen.has(id)) return;
      seen.add(id);
      requests.push(asked);
    };
    const onMessage = (m: Message): void => {
      if (m.sessionId !== sessionId) return;
      if (m.method === 'Fetch.requestPaused') {
        const asked = m.params.request.url as string;
        record(m.params.networkId ?? `fetch-${m.params.requestId}`, asked);
        if (asked === url) void this.send('Fetch.continueRequest', { requestId: m.params.requestId }, sessionId);
        else void this.send('Fetch.failRequest', { requestId: m.params.requestId, errorReason: 'BlockedByClient' }, sessionId);
      } else if (m.method === 'Network.requestWillBeSent') {
        // Requests the Fetch domain does not pause are recorded too (data: URLs are not network).
        record(m.params.requestId, m.params.request.url as string);
      }
    };
    this.#listeners.add(onMessage);
    await this.send('Fetch.enable', { patterns: [{ urlPattern: '*' }] }, sessionId);
    await this.send('Network.enable', {}, sessionId);
    await this.send('Page.enable', {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { width: options.width, height: options.height, deviceScaleFactor: 1, mobile: options.mobile ?? false }, sessionId);
    await this.send('Emulation.setEmulatedMedia', { media: 'screen', features: [{ name: 'prefers-color-scheme', value: options.colorScheme ?? 'light' }] }, sessionId);
    const loaded = this.#waitFor(sessionId, 'Page.loadEventFired');
    const navigation = await this.send<{ errorText?: string }>('Page.navigate', { url }, sessionId);
    if (navigation.errorText) throw new Error(`opening ${url} failed: ${navigation.errorText}`);
    await loaded;
    const evaluate = async <T>(expression: string): Promise<T> => {
      const { result, exceptionDetails } = await this.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId);
      if (exceptionDetails) throw new Error(`evaluate failed: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
      return result.value as T;
    };
    return {
      requests,
      evaluate,
      printToPdf: async () => {
        const { data } = await this.send<{ data: string }>('Page.printToPDF', {}, sessionId);
        return Buffer.from(data, 'base64');
      },
      screenshot: async ({ fullPage = false } = {}) => {
        let clip: object | undefined;
        if (fullPage) {
          const { cssContentSize } = await this.send<{ cssContentSize: { width: number; height: number } }>('Page.getLayoutMetrics', {}, sessionId);
          clip = { x: 0, y: 0, width: options.width, height: Math.ceil(cssContentSize.height), scale: 1 };
        }
        const { data } = await this.send<{ data: string }>('Page.captureScreenshot', { format: 'png', captureBeyondViewport: fullPage, ...(clip ? { clip } : {}) }, sessionId);
        return Buffer.from(data, 'base64');
      },
      close: async () => {
        this.#listeners.delete(onMessage);
        await this.send('Target.closeTarget', { targetId });
      },
    };
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#process.once('exit', resolve));
    await this.send('Browser.close').catch(() => undefined);
    await exited;
    rmSync(this.#userDataDir, { recursive: true, force: true });
  }
}
