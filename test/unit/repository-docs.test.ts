import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The targets of a Markdown file's links and images that are not URLs or in-page anchors. */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#')).map((t) => t.split('#')[0]!);
}

describe('the repository on its own', () => {
  it('has a README whose relative links all resolve inside a clone', () => {
    const links = relativeLinks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const broken = links.filter((link) => !resolve(ROOT, link).startsWith(ROOT + '/') || !existsSync(resolve(ROOT, link)));
    expect(broken).to.deep.equal([]);
  });

  it('finds a relative link that leaves the repository (the check itself works)', () => {
    expect(relativeLinks('[guide](../shared/reference/guide.md) [site](https://developer.okta.com) [top](#quick-start)')).to.deep.equal(['../shared/reference/guide.md']);
  });

  it('never shows the API token passed as a flag to npm run, which prints its command line', () => {
    const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.join('\n')).to.contain('OKTA_CLIENT_TOKEN=');
    expect(blocks.filter((block) => /npm run [^\n]*--api-token/.test(block))).to.deep.equal([]);
  });
});

describe('the example workflow', () => {
  const workflow = parse(readFileSync(join(ROOT, '.github/workflows/verify.yml'), 'utf8')) as {
    jobs: { verify: { concurrency?: { group?: string; 'cancel-in-progress'?: boolean }; steps: Array<{ name?: string; if?: string; run?: string; env?: Record<string, string> }> } };
  };

  it('runs one job at a time per org, queueing rather than cancelling a run in progress', () => {
    const { concurrency } = workflow.jobs.verify;
    expect(concurrency?.group).to.equal('okta-risk-org-${{ vars.OKTA_CLIENT_ORGURL || github.repository }}');
    expect(concurrency?.['cancel-in-progress']).to.equal(false);
  });

  it("points the browser test at the runner's Google Chrome, since GitHub's Ubuntu images have no Debian chromium", () => {
    const test = workflow.jobs.verify.steps.find((s) => s.run === 'npm test');
    expect(test?.env?.CHROMIUM).to.equal('/usr/bin/google-chrome');
  });

  it('runs cleanup after a failure and after a cancellation', () => {
    const cleanup = workflow.jobs.verify.steps.find((s) => s.run === 'npm run cleanup');
    expect(cleanup?.if).to.equal("(failure() || cancelled()) && env.OKTA_CLIENT_ORGURL != ''");
  });
});
