/**
 * The one renderer behind both collections' environments (`renderEnvironment`, `renderSsfEnvironment`), given
 * templates of its own: what it refuses in a template, whatever the collection.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { renderPostmanEnvironment, type PostmanEnvironmentTemplate } from '../../src/environment/postman-environment.ts';

const HEAD = '{ "id": {{json id}}, "name": {{json name}}, "values": [';
const TAIL = '], "_postman_variable_scope": "environment", "_postman_exported_at": {{json exportedAt}}, "_postman_exported_using": {{json exportedUsing}} }';
const entry = (key: string, path = `values.${key}`): string => `{ "key": "${key}", "value": {{json ${path}}}, "type": "default", "enabled": true }`;

describe('renderPostmanEnvironment', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'okta-risk-postman-env-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function templateOf(name: string, body: string): Promise<PostmanEnvironmentTemplate<'url' | 'count'>> {
    const file = join(dir, `${name}.json.hbs`);
    await writeFile(file, HEAD + body + TAIL);
    return { caller: 'renderTest', file, variableNames: ['url', 'count'], optional: new Set(['count']), scriptVariables: [], defaultName: (host) => `Test (${host})`, check: () => {} };
  }

  it('renders a template that holds exactly the variables, in order', async () => {
    const environment = renderPostmanEnvironment(await templateOf('good', `${entry('url')}, ${entry('count')}`), { url: 'https://example.okta.com' });
    expect(environment.values.map((v) => [v.key, v.value])).to.deep.equal([['url', 'https://example.okta.com'], ['count', '']]);
    expect(environment.name).to.equal('Test (example.okta.com)');
  });

  it('refuses a template that lost a variable', async () => {
    const template = await templateOf('lost', entry('url'));
    expect(() => renderPostmanEnvironment(template, { url: 'https://example.okta.com' })).to.throw(Error, `the environment template ${template.file}'s variables (url) are not url, count`);
  });

  it('refuses a template that names a value nobody gives', async () => {
    const template = await templateOf('misspelt', `${entry('url')}, ${entry('count', 'values.cuont')}`);
    expect(() => renderPostmanEnvironment(template, { url: 'https://example.okta.com' })).to.throw(TypeError, "the template's json helper takes strings, got undefined");
  });

  it('refuses a template that names a value outside the json helper (strict)', async () => {
    const template = await templateOf('bare', `${entry('url')}, { "key": "count", "value": "{{values.cuont}}", "type": "default", "enabled": true }`);
    expect(() => renderPostmanEnvironment(template, { url: 'https://example.okta.com' })).to.throw(/"cuont" not defined/);
  });

  it('refuses a template that calls a helper it does not know (knownHelpersOnly)', async () => {
    const template = await templateOf('helper', `${entry('url')}, { "key": "count", "value": {{raw values.count}}, "type": "default", "enabled": true }`);
    expect(() => renderPostmanEnvironment(template, { url: 'https://example.okta.com' })).to.throw(/knownHelpersOnly, but used the unknown helper raw/);
  });
});
