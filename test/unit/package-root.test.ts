import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { COLLECTION_FILE } from '../../src/collection/collection.ts';
import { ENVIRONMENT_TEMPLATE_FILE } from '../../src/environment/render-environment.ts';
import { PACKAGE_ROOT, packagePath, packageVersion } from '../../src/package-root.ts';

describe('the package root', () => {
  it('is the folder holding okta-risk-harness\'s package.json', () => {
    expect((JSON.parse(readFileSync(`${PACKAGE_ROOT}/package.json`, 'utf8')) as { name: string }).name).to.equal('okta-risk-harness');
  });

  it('names a file by its path from the root', () => {
    expect(packagePath('collections', 'okta-risk-provider.postman_collection.json')).to.equal(`${PACKAGE_ROOT.replace(/\/$/, '')}/collections/okta-risk-provider.postman_collection.json`);
  });

  it('gives package.json\'s version', () => {
    expect(packageVersion()).to.equal((JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version);
  });

  it('holds the shared collection and the environment template the library reads', () => {
    expect([COLLECTION_FILE, ENVIRONMENT_TEMPLATE_FILE].filter((file) => !existsSync(file))).to.deep.equal([]);
  });
});
