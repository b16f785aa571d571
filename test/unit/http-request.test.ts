import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { describeFetchFailure } from '../../src/org/fetch-failure.ts';
import { headerBag, httpRequest, type HttpRequestInit } from '../../src/org/http-request.ts';
import { rejectionOf } from '../helpers/errors.ts';

const GET: HttpRequestInit = { method: 'GET', headers: {}, timeoutMs: 5000 };

describe("the org client's HTTP request", () => {
  let server: Server;
  let url: string;
  let handle: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  beforeEach(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('resolves with the status and the body as text', async () => {
    handle = (_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"errorCode":"E0000007","ü":1}');
    const answer = await httpRequest(`${url}/api/v1/apps/x`, GET);
    expect([answer.status, answer.text]).to.deep.equal([404, '{"errorCode":"E0000007","ü":1}']);
  });

  it('reads response headers by name in any case', async () => {
    handle = (_req, res) => res.writeHead(200, { 'X-Rate-Limit-Remaining': '0' }).end();
    const answer = await httpRequest(url, GET);
    expect(answer.headers.get('x-rate-limit-remaining')).to.equal('0');
  });

  it('sends the method, the headers and the body with its byte length', async () => {
    let seen: unknown;
    handle = (req, res, body) => {
      seen = [req.method, req.headers['content-type'], req.headers['content-length'], body];
      res.end();
    };
    await httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"é"}', timeoutMs: 5000 });
    expect(seen).to.deep.equal(['POST', 'application/json', '13', '{"name":"é"}']);
  });

  it('answers a redirect as it is, without following it', async () => {
    const paths: string[] = [];
    handle = (req, res) => {
      paths.push(req.url!);
      res.writeHead(302, { location: `${url}/elsewhere` }).end();
    };
    const answer = await httpRequest(`${url}/api/v1/logs`, GET);
    expect([answer.status, paths]).to.deep.equal([302, ['/api/v1/logs']]);
  });

  it('rejects with a TimeoutError that reads as a timeout when no answer comes in time', async () => {
    handle = () => {};
    const error = await rejectionOf(httpRequest(url, { ...GET, timeoutMs: 50 }));
    expect([error.name, describeFetchFailure(error, url)]).to.deep.equal(['TimeoutError', `no answer from ${new URL(url).host} in time (the request timed out)`]);
  });

  it('rejects an answer longer than its limit, named as too long', async () => {
    handle = (_req, res) => res.end('x'.repeat(2048));
    const error = await rejectionOf(httpRequest(url, { ...GET, maxBytes: 1024 }));
    expect(describeFetchFailure(error, url)).to.equal(
      `${new URL(url).host} sent more than the harness reads (the answer was longer than 1024 bytes); an Okta org's API does not, so check the org URL`,
    );
  });

  it('reads an answer exactly as long as its limit', async () => {
    handle = (_req, res) => res.end('x'.repeat(1024));
    expect((await httpRequest(url, { ...GET, maxBytes: 1024 })).text).to.have.length(1024);
  });

  it('rejects an answer cut off mid-body as a reset connection', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const error = await rejectionOf(httpRequest(url, GET));
    expect(describeFetchFailure(error, url)).to.equal(`the connection to ${new URL(url).host} was reset`);
  });

  it('names a refused connection', async () => {
    const port = (server.address() as AddressInfo).port;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server = createServer();
    server.listen(0, '127.0.0.1');
    const error = await rejectionOf(httpRequest(`http://127.0.0.1:${port}/`, GET));
    expect(describeFetchFailure(error, `http://127.0.0.1:${port}`)).to.equal(`connection refused: nothing listens on 127.0.0.1:${port}`);
  });

  it('names https spoken to a plain http port', async () => {
    handle = (_req, res) => res.end('plain');
    const https = url.replace('http:', 'https:');
    const error = await rejectionOf(httpRequest(https, GET));
    expect(describeFetchFailure(error, https)).to.equal(
      `TLS handshake failed: ${new URL(url).host} speaks plain http, not https (a local emulator's URL starts with http://)`,
    );
  });

  it('refuses a URL that is neither http nor https', async () => {
    const error = await rejectionOf(httpRequest('ftp://127.0.0.1/', GET));
    expect([error.name, error.message]).to.deep.equal(['TypeError', 'httpRequest speaks http and https, not ftp:']);
  });
});

describe('reading headers as Newman and Node give them', () => {
  it('reads a name in any case', () => {
    expect(headerBag({ 'X-Rate-Limit-Reset': '1700000000' }).get('x-rate-limit-reset')).to.equal('1700000000');
  });

  it('joins repeated values with a comma', () => {
    expect(headerBag({ link: ['<a>; rel="self"', '<b>; rel="next"'] }).get('Link')).to.equal('<a>; rel="self", <b>; rel="next"');
  });

  it('answers null for a header that is not there', () => {
    expect(headerBag({ 'content-type': 'application/json' }).get('x-rate-limit-remaining')).to.equal(null);
  });
});

describe('a process that has made an org request', () => {
  it('exits without waiting for its kept-alive connection to close', function () {
    this.timeout(20_000);
    const module = fileURLToPath(new URL('../../src/org/http-request.ts', import.meta.url));
    // The server keeps connections open for a minute; the client process must still end on its own.
    const script = `
      import { createServer } from 'node:http';
      import { spawn } from 'node:child_process';
      const server = createServer((_q, r) => r.end('ok'));
      server.keepAliveTimeout = 60_000;
      server.listen(0, '127.0.0.1', () => {
        const url = 'http://127.0.0.1:' + server.address().port;
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
          "const { httpRequest } = await import(" + JSON.stringify(${JSON.stringify(module)}) + ");" +
          "const a = await httpRequest(" + JSON.stringify(url) + ", { method: 'GET', headers: {}, timeoutMs: 5000 });" +
          "console.log(a.text);"], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (c) => (out += c));
        const killer = setTimeout(() => { child.kill(); console.log('held open'); process.exit(0); }, 10_000);
        child.on('exit', () => { clearTimeout(killer); console.log(out.trim()); process.exit(0); });
      });`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(result.stdout.trim()).to.equal('ok');
  });
});
