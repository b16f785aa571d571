/**
 * An org whose answers a test may change before the client gets them, for answers the emulator never gives: a
 * request answered in front of the org (Okta's E0000015 for a feature the org lacks), or the org's answer
 * with another status (the 204 an Okta demo expects for a SET push). The emulator has no switch for either, so
 * no user of it can hit them.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { EmulatorOptions } from '../../src/emulator/index.ts';
import { startOrgBehind, type TestOrg } from './emulator.ts';

/** A request as the front sees it: the method and the path without its query. */
export interface FrontedRequest {
  method: string;
  path: string;
}

export interface Front {
  /** The answer the client gets instead of the org's (a JSON body); undefined hands the request to the org. */
  answer?: (request: FrontedRequest) => { status: number; body: unknown } | undefined;
  /** The status the client gets for an answer the org gave with `status`. Default: the org's. */
  status?: (request: FrontedRequest, status: number) => number;
}

export interface FrontedOrg extends TestOrg {
  /** Every request the front saw, in order, and whether the front answered it itself. */
  seen: Array<FrontedRequest & { answeredByFront: boolean }>;
}

export async function startFrontedOrg(front: Front, options: EmulatorOptions = {}): Promise<FrontedOrg> {
  const seen: FrontedOrg['seen'] = [];
  const org = await startOrgBehind((req, res, toOrg) => {
    const request: FrontedRequest = { method: req.method ?? '', path: (req.url ?? '/').split('?')[0]! };
    const answer = front.answer?.(request);
    seen.push({ ...request, answeredByFront: answer !== undefined });
    if (answer) {
      const text = JSON.stringify(answer.body);
      req.resume();
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (front.status) changeStatus(res, (status) => front.status!(request, status));
    toOrg(req, res);
  }, options);
  return { ...org, seen };
}

/** Makes `res` send `change(status)` for the status its writer gives. */
function changeStatus(res: ServerResponse, change: (status: number) => number): void {
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: OutgoingHttpHeaders) => ServerResponse;
  res.writeHead = ((status: number, headers?: OutgoingHttpHeaders) => {
    const changed = change(status);
    if (changed !== 204) return writeHead(changed, headers);
    // A 204 carries no body and no Content-Length (RFC 9110 §8.6).
    const { 'content-length': _length, ...rest } = headers ?? {};
    return writeHead(changed, rest);
  }) as ServerResponse['writeHead'];
}
