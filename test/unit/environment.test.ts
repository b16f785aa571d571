/**
 * The Postman environment template and renderer, and the atomic secret-file writer the runner uses for
 * environments, keys and state.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import Handlebars from 'handlebars';
import { HarnessError } from '../../src/errors.ts';
import { SECRET_VARIABLES, VARIABLE_NAMES } from '../../src/collection/collection.ts';
import {
  ENVIRONMENT_TEMPLATE_FILE,
  isSecretVariable,
  renderEnvironment,
  type EnvironmentValues,
} from '../../src/environment/render-environment.ts';
import { writeFileAtomic, writeSecretFile } from '../../src/environment/write-secret-file.ts';

/** Postman's environment export format, as the Postman app writes it (newman #2986, #3067). */
const POSTMAN_ENVIRONMENT_SCHEMA = {
  type: 'object',
  required: ['id', 'name', 'values', '_postman_variable_scope', '_postman_exported_at', '_postman_exported_using'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
    name: { type: 'string', minLength: 1 },
    values: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'value', 'type', 'enabled'],
        additionalProperties: false,
        properties: {
          key: { type: 'string', minLength: 1 },
          value: { type: 'string' },
          type: { enum: ['default', 'secret'] },
          enabled: { type: 'boolean' },
        },
      },
    },
    _postman_variable_scope: { const: 'environment' },
    _postman_exported_at: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' },
    _postman_exported_using: { type: 'string', pattern: '^[^/]+/[^/]+$' },
  },
} as const;

const validateEnvironment = new Ajv({ allErrors: true, strict: true }).compile(POSTMAN_ENVIRONMENT_SCHEMA);

const PUBLIC_JWK = JSON.stringify({ kty: 'RSA', e: 'AQAB', n: 'sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1Wl', kid: 'k1', use: 'sig', alg: 'RS256' });

const BASE: EnvironmentValues = {
  url: 'https://example.okta.com',
  apikey: 'test-api-token',
  providerName: 'Risk Provider Example',
  publicKey: PUBLIC_JWK,
  riskAction: 'enforce_and_log',
  riskEvents: '[{"timestamp":"2021-01-20T00:00:00.001Z","subjects":[{"ip":"6.7.6.7","riskLevel":"LOW","message":"none"}]}]',
  runStartedAt: '2026-11-28T12:00:00.000Z',
  expectedSignalCount: '1',
  logPollAttempts: '10',
  logPollIntervalMs: '1000',
};

const HOSTILE = 'a "quoted" \\back\\slashed\\ value,\nwith a newline, a tab\t, {{apikey}}, {{{raw}}}, }} and </script> & \u2028';

/** The error `promise` rejects with; fails the test if it resolves. */
async function caught<E extends Error = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

function valueOf(environment: ReturnType<typeof renderEnvironment>, key: string): string | undefined {
  return environment.values.find((value) => value.key === key)?.value;
}

function settingError(values: Partial<Record<keyof EnvironmentValues, string>>): HarnessError {
  try {
    renderEnvironment({ ...BASE, ...values });
  } catch (error) {
    expect(error).to.be.instanceOf(HarnessError);
    return error as HarnessError;
  }
  throw new Error('renderEnvironment accepted the values');
}

function typeError(values: unknown): TypeError {
  try {
    renderEnvironment(values as EnvironmentValues);
  } catch (error) {
    expect(error).to.be.instanceOf(TypeError);
    return error as TypeError;
  }
  throw new Error('renderEnvironment accepted the values');
}

describe('Postman environment', () => {
  describe('the template', () => {
    it('inserts every value through the json helper: no bare or triple-stash mustache', () => {
      const template = Handlebars.parse(readFileSync(ENVIRONMENT_TEMPLATE_FILE, 'utf8'));
      const mustaches = template.body.filter((node) => node.type === 'MustacheStatement') as hbs.AST.MustacheStatement[];
      expect(mustaches.length).to.equal(VARIABLE_NAMES.length + 4);
      for (const mustache of mustaches) {
        expect((mustache.path as hbs.AST.PathExpression).original, 'helper').to.equal('json');
        expect(mustache.escaped, 'a {{{…}}} would insert unescaped text').to.equal(true);
        expect(mustache.params).to.have.length(1);
      }
      expect(template.body.every((node) => ['MustacheStatement', 'ContentStatement', 'CommentStatement'].includes(node.type))).to.equal(true);
    });

    it('holds exactly the variables of collection.ts, in order', () => {
      expect(renderEnvironment(BASE).values.map((value) => value.key)).to.deep.equal([...VARIABLE_NAMES]);
    });
  });

  describe('renderEnvironment', () => {
    it('keeps quotes, backslashes, newlines and {{ in values verbatim and the JSON valid', () => {
      const hostile = renderEnvironment({ ...BASE, apikey: HOSTILE, providerName: HOSTILE, previousProviderName: HOSTILE, accessToken: HOSTILE });
      expect(valueOf(hostile, 'apikey')).to.equal(HOSTILE);
      expect(valueOf(hostile, 'providerName')).to.equal(HOSTILE);
      expect(valueOf(hostile, 'previousProviderName')).to.equal(HOSTILE);
      expect(valueOf(hostile, 'accessToken')).to.equal(HOSTILE);
    });

    it('cannot be made to add a member or a variable through a value', () => {
      const injected = '", "type": "default", "enabled": true }, { "key": "injected", "value": "x';
      const environment = renderEnvironment({ ...BASE, providerName: injected });
      expect(environment.values.map((value) => value.key)).to.deep.equal([...VARIABLE_NAMES]);
      expect(valueOf(environment, 'providerName')).to.equal(injected);
    });

    it('renders an environment that matches Postman\'s export format', () => {
      const environment = renderEnvironment({ ...BASE, apikey: HOSTILE, providerName: HOSTILE });
      expect(validateEnvironment(environment), JSON.stringify(validateEnvironment.errors)).to.equal(true);
    });

    it('fails the export-format schema for a value that is not a string (the schema can fail)', () => {
      const environment = renderEnvironment(BASE) as unknown as { values: Array<{ value: unknown }> };
      environment.values[0]!.value = 42;
      expect(validateEnvironment(environment)).to.equal(false);
    });

    it('types apikey, clientAssertion, clientPrivateKey, accessToken and dpopProof "secret" and every other variable "default"', () => {
      const environment = renderEnvironment(BASE);
      const secret = environment.values.filter((value) => value.type === 'secret').map((value) => value.key);
      expect(secret).to.deep.equal(['apikey', 'clientAssertion', 'clientPrivateKey', 'accessToken', 'dpopProof']);
      expect(environment.values.filter((value) => value.type !== 'secret').every((value) => value.type === 'default')).to.equal(true);
      expect(environment.values.every((value) => value.enabled === true)).to.equal(true);
    });

    it('renders clientPrivateKey empty and typed secret, for the Postman app user to fill in', () => {
      const entry = renderEnvironment(BASE).values.find((value) => value.key === 'clientPrivateKey');
      expect(entry).to.deep.equal({ key: 'clientPrivateKey', value: '', type: 'secret', enabled: true });
    });

    it('agrees with SECRET_VARIABLES and isSecretVariable', () => {
      expect([...SECRET_VARIABLES]).to.deep.equal(['apikey', 'clientAssertion', 'clientPrivateKey', 'accessToken', 'dpopProof']);
      expect(VARIABLE_NAMES.filter(isSecretVariable)).to.deep.equal([...SECRET_VARIABLES]);
    });

    it('defaults every optional value to ""', () => {
      const environment = renderEnvironment(BASE);
      for (const key of ['clientId', 'grantId', 'providerId', 'previousProviderName', 'previousProviderClientId', 'previousProviderAction', 'clientAssertion', 'accessToken', 'dpopProof', 'force', 'retryOnRateLimit']) {
        expect(valueOf(environment, key), key).to.equal('');
      }
    });

    it('keeps the values it is given, optional ones included', () => {
      const environment = renderEnvironment({ ...BASE, clientId: '0oa1', force: 'true', retryOnRateLimit: 'false' });
      expect(valueOf(environment, 'clientId')).to.equal('0oa1');
      expect(valueOf(environment, 'force')).to.equal('true');
      expect(valueOf(environment, 'retryOnRateLimit')).to.equal('false');
      expect(valueOf(environment, 'publicKey')).to.equal(PUBLIC_JWK);
    });

    it('sets id, name and _postman_exported_at from the options', () => {
      const environment = renderEnvironment(BASE, {
        id: '1352452f-4532-293c-5707-f626e6a989aa',
        name: 'example "org"',
        currentDate: new Date('2026-11-28T12:34:56.789Z'),
      });
      expect(environment).to.include({
        id: '1352452f-4532-293c-5707-f626e6a989aa',
        name: 'example "org"',
        _postman_variable_scope: 'environment',
        _postman_exported_at: '2026-11-28T12:34:56.789Z',
      });
    });

    it('says it was exported by okta-risk-harness/<package version>', async () => {
      const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      expect(renderEnvironment(BASE)._postman_exported_using).to.equal(`okta-risk-harness/${version}`);
      expect(renderEnvironment(BASE, { version: '9.9.9' })._postman_exported_using).to.equal('okta-risk-harness/9.9.9');
    });

    it('defaults the id to a new UUID and the name to the org host', () => {
      const first = renderEnvironment(BASE);
      expect(first.id).to.not.equal(renderEnvironment(BASE).id);
      expect(first.name).to.equal('Okta risk provider (example.okta.com)');
    });

    it('leaves out the scripts\' transient variables a run carried', () => {
      const carried = { ...BASE, logPollAttemptsMade: '3' } as EnvironmentValues;
      expect(renderEnvironment(carried).values.map((value) => value.key)).to.deep.equal([...VARIABLE_NAMES]);
    });
  });

  describe('renderEnvironment rejects', () => {
    it('a missing required value with TypeError', () => {
      const { riskEvents: _riskEvents, ...missing } = BASE;
      expect(typeError(missing).message).to.equal('renderEnvironment: riskEvents must be a string');
    });

    it('an unknown variable with TypeError', () => {
      expect(typeError({ ...BASE, apiKey: 'x' }).message).to.equal('renderEnvironment: unknown variables apiKey');
    });

    it('a value that is not a string with TypeError', () => {
      expect(typeError({ ...BASE, expectedSignalCount: 2 }).message).to.equal('renderEnvironment: expectedSignalCount must be a string');
      expect(typeError({ ...BASE, force: true }).message).to.equal('renderEnvironment: force must be a string when given');
    });

    it('a url with a trailing slash with ERR_SETTING_INVALID naming url', () => {
      const error = settingError({ url: 'https://example.okta.com/' });
      expect(error.code).to.equal('ERR_SETTING_INVALID');
      expect(error.setting).to.equal('url');
      expect(error.message).to.equal(
        'The environment value url must be the org URL, https://{yourOktaDomain} with no path or trailing slash; got "https://example.okta.com/".',
      );
      expect(error.fix).to.equal('Set url to the org URL, e.g. https://example.okta.com (not the -admin URL, no trailing "/").');
    });

    it('a riskAction outside none, log_only and enforce_and_log', () => {
      const error = settingError({ riskAction: 'log' });
      expect(error.code).to.equal('ERR_SETTING_INVALID');
      expect(error.setting).to.equal('riskAction');
      expect(error.message).to.equal('The environment value riskAction must be one of none, log_only, enforce_and_log; got "log".');
    });

    it('accepts each of the three risk actions', () => {
      for (const riskAction of ['none', 'log_only', 'enforce_and_log']) {
        expect(valueOf(renderEnvironment({ ...BASE, riskAction }), 'riskAction')).to.equal(riskAction);
      }
    });

    it('a publicKey that holds private members, without echoing it', () => {
      const leaky = JSON.stringify({ ...JSON.parse(PUBLIC_JWK), d: 'secret-exponent', p: 'secret-prime' });
      const error = settingError({ publicKey: leaky });
      expect(error.code).to.equal('ERR_SETTING_INVALID');
      expect(error.setting).to.equal('publicKey');
      expect(error.message).to.equal('The environment value publicKey holds private key members (d, p).');
      expect(error.message).to.not.contain('secret-exponent');
    });

    it('a clientPrivateKey, without echoing it: a file okta-risk writes never holds a private key', () => {
      const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const error = settingError({ clientPrivateKey: pem });
      expect([error.code, error.setting]).to.deep.equal(['ERR_SETTING_INVALID', 'clientPrivateKey']);
      expect(error.message).to.equal('The environment value clientPrivateKey must be empty in a file okta-risk writes: an environment file never holds a private key.');
      expect(error.message).to.not.contain(pem.split('\n')[1]!);
    });

    it('a publicKey that is not a JWK', () => {
      const error = settingError({ publicKey: 'not json' });
      expect(error.setting).to.equal('publicKey');
      expect(error.message).to.equal('The environment value publicKey must be a public JWK as JSON; got "not json".');
    });

    it('riskEvents that are not a JSON array', () => {
      const error = settingError({ riskEvents: '{"timestamp": "x"}' });
      expect(error.setting).to.equal('riskEvents');
      expect(error.message).to.equal('The environment value riskEvents must be a JSON array of risk events; got "{\\"timestamp\\": \\"x\\"}".');
    });

    it('a runStartedAt that is not an ISO 8601 UTC timestamp', () => {
      const error = settingError({ runStartedAt: '2026-11-28 12:00' });
      expect(error.setting).to.equal('runStartedAt');
      expect(error.message).to.equal('The environment value runStartedAt must be an ISO 8601 UTC timestamp; got "2026-11-28 12:00".');
    });

    it('a count that is not a whole number in digits', () => {
      for (const [name, value] of [['expectedSignalCount', '-1'], ['logPollAttempts', '2.5'], ['logPollIntervalMs', '1e3']] as const) {
        const error = settingError({ [name]: value });
        expect(error.setting).to.equal(name);
        expect(error.message).to.equal(`The environment value ${name} must be a whole number written in digits; got "${value}".`);
      }
    });

    it('logPollAttempts 0, since the System Log is queried at least once', () => {
      const error = settingError({ logPollAttempts: '0' });
      expect(error.message).to.equal('The environment value logPollAttempts must be at least 1; got "0".');
    });

    it('a force or retryOnRateLimit other than "true" or "false"', () => {
      const error = settingError({ force: 'yes' });
      expect(error.setting).to.equal('force');
      expect(error.message).to.equal('The environment value force must be "true" or "false"; got "yes".');
      expect(settingError({ retryOnRateLimit: 'TRUE' }).setting).to.equal('retryOnRateLimit');
    });
  });

  describe('writeSecretFile', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'okta-risk-env-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('writes the text with mode 0600', async () => {
      const file = join(dir, 'plain', 'env.json');
      await writeSecretFile(file, '{"a": 1}\n');
      expect(await readFile(file, 'utf8')).to.equal('{"a": 1}\n');
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
    });

    it('creates missing directories with mode 0700', async () => {
      await writeSecretFile(join(dir, 'deep', 'er', 'state.json'), '{}');
      expect((await stat(join(dir, 'deep'))).mode & 0o777).to.equal(0o700);
      expect((await stat(join(dir, 'deep', 'er'))).mode & 0o777).to.equal(0o700);
    });

    it('leaves no temporary file behind', async () => {
      const sub = join(dir, 'clean');
      await writeSecretFile(join(sub, 'env.json'), JSON.stringify(renderEnvironment(BASE)));
      await writeSecretFile(join(sub, 'env.json'), JSON.stringify(renderEnvironment(BASE)));
      expect(await readdir(sub)).to.deep.equal(['env.json']);
    });

    it('replaces an existing world-readable file with a 0600 one', async () => {
      const file = join(dir, 'existing.json');
      await writeFile(file, 'old');
      await chmod(file, 0o644);
      await writeSecretFile(file, 'new');
      expect(await readFile(file, 'utf8')).to.equal('new');
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
    });

    it('leaves an existing directory\'s mode as it is', async () => {
      const sub = join(dir, 'users-own');
      await mkdir(sub, { mode: 0o755 });
      await chmod(sub, 0o755);
      await writeSecretFile(join(sub, 'env.json'), '{}');
      expect((await stat(sub)).mode & 0o777).to.equal(0o755);
    });

    it('leaves no temporary file behind when the rename fails', async () => {
      const sub = join(dir, 'failing');
      await mkdir(join(sub, 'target-is-a-directory'), { recursive: true });
      const error = await caught(writeSecretFile(join(sub, 'target-is-a-directory'), 'x'));
      expect(error).to.be.instanceOf(Error);
      expect(await readdir(sub)).to.deep.equal(['target-is-a-directory']);
    });

    it('writes another mode exactly when asked (writeFileAtomic)', async () => {
      const file = join(dir, 'public.json');
      await writeFileAtomic(file, '{}', { mode: 0o644 });
      expect((await stat(file)).mode & 0o777).to.equal(0o644);
    });

    it('rejects a mode outside 0o000–0o777 with TypeError', async () => {
      const error = await caught(writeFileAtomic(join(dir, 'bad-mode.json'), '{}', { mode: 0o4755 }));
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal('writeFileAtomic: mode must be permission bits between 0o000 and 0o777');
    });
  });
});
