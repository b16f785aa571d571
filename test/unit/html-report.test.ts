import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { REQUESTS } from '../../src/collection/collection.ts';
import { HTML_REPORT_TEMPLATE, renderHtmlReport } from '../../src/report/html-report.ts';
import { PACKAGE_ROOT } from '../../src/package-root.ts';
import { MAX_BODY_CHARS } from '../../src/report/report-view.ts';
import { REDACTED, Redactor } from '../../src/run/redact.ts';
import { ACCESS_TOKEN, API_TOKEN, ASSERTION, brokenRun, CALLS, failedRun, KID, passingRun, stoppedRun, type FixtureRun } from '../helpers/report-fixtures.ts';

function render(run: FixtureRun): string {
  const redactor = new Redactor().add(API_TOKEN, ACCESS_TOKEN, ASSERTION);
  return renderHtmlReport({ result: run.result, runs: run.runs, redactor, secretBodyRequests: [REQUESTS.getAccessToken] });
}

const text = (html: string): string =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

/** The step table's rows, each cell's text (the phone-only line left out). */
function tableRows(html: string): string[][] {
  const body = /<table class="steps" id="steps">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1]!;
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.replace(/<span class="phone-meta">[\s\S]*?<\/span>/g, '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => text(cell[1]!)),
  );
}

/** The step sections' opening tags, in order. */
function stepSections(html: string): string[] {
  return [...html.matchAll(/<details class="step[^"]*" id="step-[a-z-]+"[^>]*>/g)].map((m) => m[0]);
}

/** The text of one step's section. */
function section(html: string, id: string): string {
  return text(new RegExp(`<details class="step[^"]*" id="step-${id}"[^>]*>([\\s\\S]*?)</details>\\s*(?=<details class="step|\\{|<h2|</section>)`).exec(html)![1]!);
}

describe('the html report', () => {
  describe('of a passing run', () => {
    const html = render(passingRun());

    it('is titled with the org and the run', () => {
      expect(html).to.contain('<title>Okta risk provider verification: acme.okta.com, run 20261128T120000Z-abc123</title>');
    });

    it('opens with the result, the org and the run', () => {
      const head = text(/<header class="masthead ok">([\s\S]*?)<\/header>/.exec(html)![1]!);
      expect(head).to.equal(
        'Okta third-party risk provider integration · okta-risk verify PASSED Org acme.okta.com Target https://acme.okta.com Run 20261128T120000Z-abc123 Started 2026-11-28 12:00:00 UTC Duration 2.4 s Exit code 0',
      );
    });

    it("lists the guide's nine steps in order with status, time, assertions and retries", () => {
      expect(tableRows(html)).to.deep.equal([
        ['1', 'Create a public/private key pair', 'Done', '—', '—', '—'],
        ['2', 'Create a service app', 'Passed', '72 ms', '3/3', '—'],
        ['3', 'Add a scope grant to the app', 'Passed', '14 ms', '1/1', '—'],
        ['4', 'Retrieve and update the default risk provider', 'Passed', '12 ms', '2/2', '—'],
        ['5', 'Create a client assertion', 'Done', '—', '—', '—'],
        ['6', 'Create an access token', 'Passed', '36 ms', '2/2', '—'],
        ['7', 'Send risk events to Okta', 'Passed', '6 ms', '1/1', '1 rate-limit wait (429)'],
        ['8', 'Confirm the risk events in the System Log', 'Passed', '27 ms', '2/2', '—'],
        ['9', 'Tear down', 'Passed', '12 ms', '4/4', '—'],
      ]);
    });

    it('shows a 429 as the wait it was', () => {
      expect(section(html, 'events')).to.contain('HTTP 429 Too Many Requests: waited until X-Rate-Limit-Reset, then sent again');
    });

    it('keeps every step closed', () => {
      expect(stepSections(html).filter((tag) => / open>$/.test(tag))).to.deep.equal([]);
      expect(stepSections(html)).to.have.length(9);
    });

    it("names the key by its id and says what the runner did for the runner's steps", () => {
      expect(section(html, 'key')).to.contain(`Key id (kid): ${KID}.`);
      expect(section(html, 'assertion')).to.contain('Signed by the runner (jose): iss = sub = the clientId, aud = the token URL, 5 minutes, a fresh jti. A secret: not shown.');
    });

    it('shows each call with its method, URL, status, time and assertions', () => {
      expect(section(html, 'service-app')).to.contain(
        'Admin: API to create OAuth service client (for the provider) POST https://acme.okta.com/oauth2/v1/clients → 201 Created · 50 ms ✓ passed: Status is 201 Created ✓ passed: client_name is the providerName',
      );
    });

    it('says the org is as it was found', () => {
      expect(text(html)).to.contain('Teardown: The org is as it was found.');
    });

    it('shows neither the Authorization header nor any secret', () => {
      expect(html).to.not.match(/authorization:/i);
      for (const secret of [API_TOKEN, ACCESS_TOKEN, ASSERTION]) expect(html).to.not.contain(secret);
    });

    it("hides the token call's bodies and says why", () => {
      const token = section(html, 'token');
      expect(token).to.contain('The bodies of this call are not shown: the request carries the client assertion and the response the access token.');
      expect(token).to.not.contain('client_assertion=');
      expect(token).to.not.contain('expires_in');
    });

    it('loads nothing: no external reference, and a policy that forbids every fetch', () => {
      expect(html).to.contain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`);
      expect(html.match(/\b(?:src|href)="(?!#|data:)[^"]*"/g)).to.equal(null);
      expect(html).to.not.match(/@import|url\(/);
    });

    it('follows the viewer for light and dark, and has phone and print layouts', () => {
      expect(html).to.contain('@media (prefers-color-scheme: dark)');
      expect(html).to.contain('@media (max-width: 40rem)');
      expect(html).to.contain('@media print');
      expect(html).to.contain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    });
  });

  describe('of a failed run', () => {
    const html = render(failedRun());

    it('says where it failed on the first screen', () => {
      expect(text(/<header class="masthead bad">([\s\S]*?)<\/header>/.exec(html)![1]!)).to.contain('FAILED: at least one assertion failed Failed at step 2: Create a service app');
    });

    it('marks the failed step and the steps that did not run', () => {
      expect(tableRows(html).map((row) => row.slice(0, 5))).to.deep.equal([
        ['1', 'Create a public/private key pair', 'Done', '—', '—'],
        ['2', 'Create a service app', 'Failed', '50 ms', '0/2'],
        ['3', 'Add a scope grant to the app', 'Not run', '—', '—'],
        ['4', 'Retrieve and update the default risk provider', 'Not run', '—', '—'],
        ['5', 'Create a client assertion', 'Not run', '—', '—'],
        ['6', 'Create an access token', 'Not run', '—', '—'],
        ['7', 'Send risk events to Okta', 'Not run', '—', '—'],
        ['8', 'Confirm the risk events in the System Log', 'Not run', '—', '—'],
        ['9', 'Tear down', 'Passed', '—', '—'],
      ]);
    });

    it('opens the failed step, and only it', () => {
      expect(stepSections(html).filter((tag) => / open>$/.test(tag))).to.deep.equal(['<details class="step s-failed" id="step-service-app" open>']);
    });

    it('shows the failed assertions with their messages', () => {
      expect(section(html, 'service-app')).to.contain(
        "✗ failed: Status is 201 Created expected response to have status code 201 but got 401 ✗ failed: client_name is the providerName expected undefined to deeply equal 'Risk Provider Example'",
      );
    });

    it("shows the request and the response, open, and the summary's hint", () => {
      expect(html).to.contain('<details class="exchange" open>');
      const step = section(html, 'service-app');
      expect(step).to.contain('Hint: the org refused the API token (401). Check --api-token / OKTA_CLIENT_TOKEN: a current token of that org, without "SSWS " or quotes.');
      expect(step).to.contain('Request POST https://acme.okta.com/oauth2/v1/clients Accept: application/json');
      expect(step).to.contain('Response 401 Unauthorized content-type: application/json { "errorCode": "E0000011", "errorSummary": "Invalid token provided",');
    });

    it('says there was nothing to undo', () => {
      expect(tableRows(html)[8]).to.deep.equal(['9', 'Tear down', 'Passed', '—', '—', '—']);
      expect(/<summary>[\s\S]*?<\/summary>/.exec(html.slice(html.indexOf('id="step-teardown"')))![0]).to.contain('nothing to undo');
    });
  });

  describe('of a run that stopped part way', () => {
    const html = render(stoppedRun());

    it('names the step where it stopped, on the first screen', () => {
      expect(text(/<header class="masthead bad">([\s\S]*?)<\/header>/.exec(html)![1]!)).to.contain('BROKEN: the run could not complete Stopped at step 4: Retrieve and update the default risk provider');
    });

    it('shows the error that stopped it', () => {
      expect(text(html)).to.contain(
        'Error [ERR_RUN_BROKEN]: Creating a risk provider for the run failed with HTTP 500: E0000009 Internal Server Error. Fix: fix what Okta names (for a name already taken, pass another --provider-name), then run verify again.',
      );
    });

    it('keeps what ran, marks where it stopped, and what it did not reach', () => {
      expect(tableRows(html).map((row) => row.slice(0, 5))).to.deep.equal([
        ['1', 'Create a public/private key pair', 'Done', '—', '—'],
        ['2', 'Create a service app', 'Passed', '72 ms', '3/3'],
        ['3', 'Add a scope grant to the app', 'Passed', '14 ms', '1/1'],
        ['4', 'Retrieve and update the default risk provider', 'Stopped here', '—', '—'],
        ['5', 'Create a client assertion', 'Not run', '—', '—'],
        ['6', 'Create an access token', 'Not run', '—', '—'],
        ['7', 'Send risk events to Okta', 'Not run', '—', '—'],
        ['8', 'Confirm the risk events in the System Log', 'Not run', '—', '—'],
        ['9', 'Tear down', 'Passed', '8 ms', '3/3'],
      ]);
    });

    it('opens the step where it stopped, with the reason', () => {
      expect(stepSections(html).filter((tag) => / open>$/.test(tag))).to.deep.equal(['<details class="step s-stopped" id="step-provider" open>']);
      expect(section(html, 'provider')).to.contain('The run stopped at this step: Creating a risk provider for the run failed with HTTP 500');
    });
  });

  it("marks the step of a folder that broke, with Newman's reason", () => {
    const html = render(brokenRun());
    expect(tableRows(html)[6]!.slice(0, 3)).to.deep.equal(['7', 'Send risk events to Okta', 'Failed']);
    expect(section(html, 'events')).to.contain(`The run broke: ${REQUESTS.sendRiskEvents}: socket hang up`);
  });

  it('cuts a long body after redaction, so no part of a secret is left', () => {
    const run = passingRun();
    const secret = 'sEcReT-' + 'q'.repeat(40);
    const call = run.runs[0]!.summary.run.executions.find((e) => (e as unknown as { item: { name: string } }).item.name === CALLS.listClients.name) as unknown as {
      response: { stream: { data: number[] } };
    };
    call.response.stream.data = [...Buffer.from('x'.repeat(MAX_BODY_CHARS - 4) + secret)];
    const html = renderHtmlReport({ result: run.result, runs: run.runs, redactor: new Redactor().add(secret), secretBodyRequests: [] });
    expect(html).to.not.contain('sEcR');
    expect(html).to.contain(`x${REDACTED.slice(0, 4)}\n… (`);
  });
});

it("the html report's template is in the package, found from the package root", () => {
  expect(HTML_REPORT_TEMPLATE).to.equal(join(PACKAGE_ROOT, 'templates', 'report.html.hbs'));
  expect(existsSync(HTML_REPORT_TEMPLATE)).to.equal(true);
});
