/**
 * Refreshes the reference fixtures the tests validate against, from `../shared/reference/` (Okta's OpenAPI
 * and error catalogs, published by Okta under the Apache License 2.0):
 *
 * - `test/fixtures/okta-openapi-subset.json`: the operations the emulator serves, with every component
 *   schema they reference (transitively), from the management spec 2025.08.0 and the OAuth spec 2026.06.3;
 * - `test/fixtures/catalogs/*.json`: Okta's management and OAuth error catalogs, verbatim, and the event-type
 *   ids of the System Log catalog 2025.06.1 (the last that lists `security.risk.signal.consume`).
 *
 * Run: `npx tsx scripts/extract-reference.ts [path/to/shared/reference]`
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const reference = resolve(process.argv[2] ?? join(import.meta.dirname, '../../shared/reference'));
const out = resolve(import.meta.dirname, '../test/fixtures');

const OPERATIONS: Record<'management' | 'oauth', Array<[string, string]>> = {
  management: [
    ['/api/v1/apps/{appId}', 'get'],
    ['/api/v1/apps/{appId}', 'put'],
    ['/api/v1/apps/{appId}', 'delete'],
    ['/api/v1/apps/{appId}/lifecycle/deactivate', 'post'],
    ['/api/v1/apps/{appId}/grants', 'get'],
    ['/api/v1/apps/{appId}/grants', 'post'],
    ['/api/v1/apps/{appId}/grants/{grantId}', 'get'],
    ['/api/v1/apps/{appId}/grants/{grantId}', 'delete'],
    ['/api/v1/risk/providers', 'get'],
    ['/api/v1/risk/providers', 'post'],
    ['/api/v1/risk/providers/{riskProviderId}', 'get'],
    ['/api/v1/risk/providers/{riskProviderId}', 'put'],
    ['/api/v1/risk/providers/{riskProviderId}', 'delete'],
    ['/api/v1/risk/events/ip', 'post'],
    ['/api/v1/logs', 'get'],
    ['/api/v1/security-events-providers', 'get'],
    ['/api/v1/security-events-providers', 'post'],
    ['/api/v1/security-events-providers/{securityEventProviderId}', 'get'],
    ['/api/v1/security-events-providers/{securityEventProviderId}', 'put'],
    ['/api/v1/security-events-providers/{securityEventProviderId}', 'delete'],
    ['/api/v1/security-events-providers/{securityEventProviderId}/lifecycle/activate', 'post'],
    ['/api/v1/security-events-providers/{securityEventProviderId}/lifecycle/deactivate', 'post'],
    ['/security/api/v1/security-events', 'post'],
  ],
  oauth: [
    ['/oauth2/v1/clients', 'get'],
    ['/oauth2/v1/clients', 'post'],
    ['/oauth2/v1/clients/{clientId}', 'get'],
    ['/oauth2/v1/clients/{clientId}', 'put'],
    ['/oauth2/v1/clients/{clientId}', 'delete'],
    ['/oauth2/v1/token', 'post'],
    ['/oauth2/v1/keys', 'get'],
    ['/.well-known/openid-configuration', 'get'],
    ['/oauth2/{authorizationServerId}/.well-known/oauth-authorization-server', 'get'],
  ],
};

/** Schemas no operation references but tests validate against: the SET's JWT header and payload. */
const EXTRA_SCHEMAS: Record<'management' | 'oauth', string[]> = {
  management: ['SecurityEventTokenRequestJwtHeader', 'SecurityEventTokenRequestJwtBody'],
  oauth: [],
};

type Json = unknown;

function resolvePointer(doc: any, ref: string): Json {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

/** Copies `node`, collecting every `$ref` it reaches into `components`. */
function collect(doc: any, node: Json, components: Record<string, Record<string, Json>>): void {
  if (Array.isArray(node)) return node.forEach((n) => collect(doc, n, components));
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/')) {
      const [, , kind, name] = value.split('/') as [string, string, string, string];
      components[kind] ??= {};
      if (!(name in components[kind]!)) {
        const target = resolvePointer(doc, value);
        components[kind]![name] = target;
        collect(doc, target, components);
      }
    } else if (key !== 'examples' && key !== 'example') {
      collect(doc, value, components);
    }
  }
}

const subset: Record<string, { info: Json; paths: Record<string, Record<string, Json>>; components: Record<string, Record<string, Json>> }> = {};
const files = { management: 'openapi/okta-management-2025.08.0.yaml', oauth: 'openapi/okta-oauth-2026.06.3.yaml' };
for (const [spec, file] of Object.entries(files) as Array<[keyof typeof files, string]>) {
  const doc = parse(readFileSync(join(reference, file), 'utf8'));
  const paths: Record<string, Record<string, Json>> = {};
  const components: Record<string, Record<string, Json>> = {};
  for (const [path, method] of OPERATIONS[spec]) {
    const operation = doc.paths[path]?.[method];
    if (!operation) throw new Error(`${file} has no ${method.toUpperCase()} ${path}`);
    const { responses, requestBody, parameters } = operation;
    (paths[path] ??= {})[method] = { responses, requestBody, parameters };
    collect(doc, { responses, requestBody, parameters }, components);
  }
  for (const name of EXTRA_SCHEMAS[spec]) collect(doc, { $ref: `#/components/schemas/${name}` }, components);
  subset[spec] = { info: doc.info, paths, components };
}
mkdirSync(join(out, 'catalogs'), { recursive: true });
writeFileSync(join(out, 'okta-openapi-subset.json'), JSON.stringify(subset, null, 1) + '\n');
for (const catalog of ['error-codes.json', 'oauth2-error-codes.json']) {
  copyFileSync(join(reference, 'catalogs', catalog), join(out, 'catalogs', catalog));
}
const eventTypes = JSON.parse(readFileSync(join(reference, 'catalogs/event-types-2025.06.1.json'), 'utf8')) as {
  release: string;
  versions: Array<{ eventTypes: Array<{ id: string }> }>;
};
const ids = [...new Set(eventTypes.versions.flatMap((v) => v.eventTypes.map((t) => t.id)))].sort();
writeFileSync(join(out, 'catalogs', 'event-type-ids.json'), JSON.stringify({ release: eventTypes.release, ids }, null, 1) + '\n');
console.log(`wrote ${out}/okta-openapi-subset.json and catalogs/`);
