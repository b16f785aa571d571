/**
 * The reply path never ends the process: whatever throws while an answer is written becomes Okta's
 * 500 E0000009 with a request id, is logged, and the next request is answered as usual.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { buildEmulator, ManualClock, type Emulator } from '../../src/emulator/index.ts';
import { START } from '../helpers/emulator.ts';

describe('emulator reply path', () => {
  let emulator: Emulator;
  let server: Server;
  let url: string;
  let logged: Array<{ message: string; id: string }>;
  let failWrites: number;

  before(async () => {
    emulator = await buildEmulator({
      clock: new ManualClock(START),
      orgUrl: 'http://127.0.0.1:1',
      onError: (error, id) => logged.push({ message: (error as Error).message, id }),
    });
    // The org mounted on a server of the test's own, whose next `failWrites` writeHead calls throw.
    server = createServer((req, res) => {
      const original = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
      res.writeHead = ((...args: unknown[]) => {
        if (failWrites > 0) {
          failWrites -= 1;
          throw new Error('write failed');
        }
        return original(...args);
      }) as ServerResponse['writeHead'];
      emulator.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    logged = [];
    failWrites = 0;
  });

  const get = () => fetch(url + '/api/v1/risk/providers', { headers: { authorization: `SSWS ${emulator.apiToken}` } });

  it('answers 500 E0000009 with a request id when writing the answer throws', async () => {
    failWrites = 1;
    const res = await get();
    expect(res.status).to.equal(500);
    expect(res.headers.get('x-okta-request-id')).to.match(/^[A-Za-z0-9]{27}$/);
    expect(await res.json()).to.deep.include({ errorCode: 'E0000009', errorSummary: 'Internal Server Error' });
  });

  it('logs the error with the request id it answered', async () => {
    failWrites = 1;
    const res = await get();
    expect(logged).to.deep.equal([{ message: 'write failed', id: res.headers.get('x-okta-request-id') }]);
  });

  it("reports none of Okta's own refusals (a 401 E0000011 for a wrong token, a 404 E0000007)", async () => {
    const wrongToken = await fetch(url + '/api/v1/risk/providers', { headers: { authorization: 'SSWS not-the-token' } });
    const unknownApp = await fetch(url + '/api/v1/apps/0oanosuchapp0000000', { headers: { authorization: `SSWS ${emulator.apiToken}` } });
    expect([wrongToken.status, unknownApp.status, logged]).to.deep.equal([401, 404, []]);
  });

  it('answers the next request as usual after a write threw', async () => {
    failWrites = 1;
    await get();
    const next = await get();
    expect(next.status).to.equal(200);
    expect(await next.json()).to.be.an('array');
  });

  it('closes the connection, and keeps serving, when even the 500 cannot be written', async () => {
    failWrites = 2;
    const error = await get().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(TypeError);
    expect((await get()).status).to.equal(200);
  });
});
