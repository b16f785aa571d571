/**
 * A raw-socket HTTP/1.1 client for what fetch would normalise or refuse to send: request targets with bytes
 * outside RFC 3986, bodies that keep coming after the server answered. Reaches only the org's loopback port.
 */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  /** The body as the Content-Length framed it. */
  body: string;
  /** Parsed JSON, or undefined for an empty body. */
  json: any;
}

/** Splits the first response out of what the server sent. */
export function parseResponse(raw: Buffer): RawResponse {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response head in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')).subarray(0, length).toString('utf8');
  return { status: Number(statusLine!.split(' ')[1]), headers, body, json: body ? JSON.parse(body) : undefined };
}

/** Origin of `url` as host and port, for net.connect. */
function target(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/**
 * Sends `request` (a complete HTTP/1.1 message, bytes exactly as given) on a fresh connection and resolves
 * with everything the server sent once it closes its side.
 */
export function rawRequest(url: string, request: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(target(url));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      socket.destroy();
      resolve(Buffer.concat(chunks));
    });
    socket.on('error', reject);
    socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
  });
}

/** A GET of `path` (bytes as given, latin1) with `Connection: close`, parsed. */
export async function rawGet(url: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const lines = Object.entries({ host: 'localhost', connection: 'close', ...headers }).map(([n, v]) => `${n}: ${v}\r\n`).join('');
  return parseResponse(await rawRequest(url, `GET ${path} HTTP/1.1\r\n${lines}\r\n`));
}

export interface FloodResult {
  /** The server's answer, read while the body was still being sent. */
  response: RawResponse;
  /** Body bytes the client had written when the server closed. */
  sent: number;
  /** How the connection ended for the client: the server's close, or an error such as a reset. */
  ended: 'close' | string;
}

/**
 * POSTs `head` (request line and headers, without the blank line) and then writes body bytes as fast as the
 * server takes them, up to `total` (chunked when `chunked`), without ever stopping on its own before the
 * server closes. Resolves when the connection is gone.
 */
export function flood(url: string, head: string, options: { total: number; chunked?: boolean; stopAfter?: number }): Promise<FloodResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(target(url));
    const received: Buffer[] = [];
    const piece = Buffer.alloc(64 * 1024, 'a');
    const framed = options.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
    let sent = 0;
    let ended: string | undefined;
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (ended ??= error.code ?? error.message));
    socket.on('close', () => {
      try {
        resolve({ response: parseResponse(Buffer.concat(received)), sent, ended: ended ?? 'close' });
      } catch (error) {
        reject(error);
      }
    });
    const framing = options.chunked ? 'transfer-encoding: chunked' : `content-length: ${options.total}`;
    socket.write(`${head}\r\n${framing}\r\n\r\n`);
    const limit = Math.min(options.total, options.stopAfter ?? Infinity);
    const pump = (): void => {
      while (sent < limit && !socket.destroyed) {
        sent += piece.length;
        if (!socket.write(framed)) return void socket.once('drain', pump);
      }
    };
    pump();
  });
}
