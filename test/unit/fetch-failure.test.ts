import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import { describeFetchFailure } from '../../src/org/fetch-failure.ts';
import { describeOktaError } from '../../src/org/okta-error.ts';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** A loopback port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function fetchError(url: string): Promise<unknown> {
  try {
    await fetch(url);
  } catch (error) {
    return error;
  }
  throw new Error(`fetch ${url} did not fail`);
}

describe('explaining "fetch failed"', () => {
  it('names a refused connection and the address nothing listens on', async () => {
    const port = await closedPort();
    expect(describeFetchFailure(await fetchError(`http://127.0.0.1:${port}/`), `http://127.0.0.1:${port}`)).to.equal(`connection refused: nothing listens on 127.0.0.1:${port}`);
  });

  it('names https spoken to a plain http port', async () => {
    const server = createServer((_req, res) => res.end('plain'));
    const port = await listen(server);
    try {
      expect(describeFetchFailure(await fetchError(`https://127.0.0.1:${port}/`), `https://127.0.0.1:${port}`)).to.equal(
        `TLS handshake failed: 127.0.0.1:${port} speaks plain http, not https (a local emulator's URL starts with http://)`,
      );
    } finally {
      server.close();
    }
  });

  it('names a host DNS does not know', () => {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND dev-1.okta.com'), { code: 'ENOTFOUND', hostname: 'dev-1.okta.com' }) });
    expect(describeFetchFailure(error, 'https://dev-1.okta.com')).to.equal('DNS: no such host dev-1.okta.com (check the spelling of the org URL)');
  });

  it('names a timeout', () => {
    const error = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(describeFetchFailure(error, 'https://dev-1.okta.com')).to.equal('no answer from dev-1.okta.com in time (the request timed out)');
  });

  it('names an untrusted certificate and the variable that trusts a proxy', () => {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) });
    expect(describeFetchFailure(error, 'https://dev-1.okta.com')).to.equal(
      'the TLS certificate of dev-1.okta.com is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT); behind a TLS-inspecting proxy, point NODE_EXTRA_CA_CERTS at its CA certificate',
    );
  });

  it('falls back to the cause and its code, never to "fetch failed"', () => {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('something odd'), { code: 'EODD' }) });
    expect(describeFetchFailure(error, 'https://dev-1.okta.com')).to.equal('something odd (EODD)');
  });
});

describe("reading Okta's error object", () => {
  it('quotes the summary and every cause', () => {
    const body = {
      errorCode: 'E0000001',
      errorSummary: 'Api validation failed: name',
      errorLink: 'E0000001',
      errorId: 'oae1',
      errorCauses: [{ errorSummary: 'name: a risk provider with this name already exists; choose another name' }],
    };
    expect(describeOktaError(body)).to.equal('E0000001 Api validation failed: name (name: a risk provider with this name already exists; choose another name)');
  });

  it('reads an OAuth error as error and description', () => {
    expect(describeOktaError({ error: 'invalid_client', error_description: 'The client_assertion token is expired.' })).to.equal('invalid_client: The client_assertion token is expired.');
  });

  it('says nothing for a body that is not an error object', () => {
    expect([describeOktaError(undefined), describeOktaError('<html>'), describeOktaError({ id: 'x' })]).to.deep.equal([undefined, undefined, undefined]);
  });
});
