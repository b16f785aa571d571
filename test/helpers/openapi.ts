/**
 * Validates emulator responses against Okta's own OpenAPI documents (the subset in
 * `test/fixtures/okta-openapi-subset.json`, extracted by `scripts/extract-reference.ts`).
 *
 * OpenAPI 3.0 schemas are JSON Schema with a few differences; the two that matter here are converted:
 * `nullable: true` becomes a `null` type, and `discriminator` (which ajv would enforce more strictly than
 * OpenAPI does) is dropped.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';

// ajv-formats is CommonJS with a default export; under NodeNext the callable is `.default`.
const addFormats = formats.default;

type Spec = 'management' | 'oauth';

const subset = JSON.parse(readFileSync(new URL('../fixtures/okta-openapi-subset.json', import.meta.url), 'utf8')) as Record<
  Spec,
  { paths: Record<string, Record<string, any>>; components: Record<string, Record<string, any>> }
>;

function convert(node: any, spec: Spec, discriminated: Set<string>): any {
  if (Array.isArray(node)) return node.map((n) => convert(n, spec, discriminated));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'discriminator' || key === 'example' || key === 'examples' || key === 'x-enumDescriptions') continue;
    if (key === '$ref' && typeof value === 'string') out.$ref = `${spec}${value}`;
    // OpenAPI's `url` is no JSON Schema format; ajv-formats' heuristic `url` refuses loopback and private
    // hosts, where the emulator's tests run. Checked as an RFC 3986 URI instead.
    else if (key === 'format' && value === 'url') out.format = 'uri';
    else if (key === 'allOf' && Array.isArray(value)) {
      // A subtype's allOf names its parent: point it at the parent's base, or parent and subtype would
      // refer to each other forever (Okta's "oneOfInheritance" documents do this).
      out.allOf = value.map((v: any) => {
        const name = typeof v?.$ref === 'string' ? v.$ref.split('/').pop() : undefined;
        return name && discriminated.has(name) ? { $ref: `${spec}#/components/schemas/${name}__base` } : convert(v, spec, discriminated);
      });
    } else out[key] = convert(value, spec, discriminated);
  }
  // ajv knows `nullable` itself but insists on a sibling `type`; resolve it here instead.
  delete out.nullable;
  if (node.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else if (out.type === undefined) {
      return { anyOf: [out, { type: 'null' }] };
    }
  }
  return out;
}

/** Converts the components, adding a `<name>__base` copy (without its oneOf) of every parent of a subtype cycle. */
function convertComponents(components: Record<string, any>, spec: Spec): Record<string, any> {
  const schemas: Record<string, any> = components.schemas ?? {};
  const refName = (v: any): string | undefined => (typeof v?.$ref === 'string' ? v.$ref.split('/').pop() : undefined);
  // A parent lists its subtypes in oneOf, and each subtype's allOf names the parent.
  const discriminated = new Set(
    Object.keys(schemas).filter((name) =>
      (schemas[name]?.oneOf ?? []).some((member: any) => (schemas[refName(member) ?? '']?.allOf ?? []).some((a: any) => refName(a) === name)),
    ),
  );
  const converted = convert(components, spec, discriminated);
  for (const name of discriminated) {
    const { oneOf: _oneOf, discriminator: _d, ...base } = schemas[name];
    converted.schemas[`${name}__base`] = convert(base, spec, discriminated);
  }
  return converted;
}

const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
addFormats(ajv);
for (const spec of ['management', 'oauth'] as const) {
  ajv.addSchema({ $id: spec, components: convertComponents(subset[spec].components, spec) });
}

const cache = new Map<string, ValidateFunction>();

/**
 * Throws with ajv's errors when `body` is not a valid `status` response of `method path` in Okta's spec.
 * `path` is the spec's template, e.g. `/api/v1/risk/providers/{riskProviderId}`.
 */
export function assertMatchesSpec(spec: Spec, method: string, path: string, status: number, body: unknown): void {
  const key = `${spec} ${method} ${path} ${status}`;
  let validate = cache.get(key);
  if (!validate) {
    const operation = subset[spec].paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`the spec subset has no ${method} ${path}; add it to scripts/extract-reference.ts`);
    let response = operation.responses[String(status)];
    if (!response) throw new Error(`Okta's spec documents no ${status} for ${method} ${path}`);
    if (response.$ref) response = subset[spec].components.responses?.[response.$ref.split('/').pop()];
    const schema = response?.content?.['application/json']?.schema;
    if (!schema) {
      if (body !== undefined && body !== '') throw new Error(`${method} ${path} ${status} has no body in the spec, got one`);
      return;
    }
    validate = ajv.compile(convert(schema, spec, new Set()));
    cache.set(key, validate);
  }
  if (!validate!(body)) {
    throw new Error(`${method} ${path} ${status} does not match Okta's spec: ${ajv.errorsText(validate!.errors)}\n${JSON.stringify(body, null, 1).slice(0, 2000)}`);
  }
}

/** Throws with ajv's errors when `value` is not valid against the named component schema of Okta's spec. */
export function assertMatchesSchema(spec: Spec, name: string, value: unknown): void {
  const key = `${spec} schema ${name}`;
  let validate = cache.get(key);
  if (!validate) {
    if (!subset[spec].components.schemas?.[name]) throw new Error(`the spec subset has no schema ${name}; add it to scripts/extract-reference.ts`);
    validate = ajv.getSchema(`${spec}#/components/schemas/${name}`);
    if (!validate) throw new Error(`ajv cannot compile ${name}`);
    cache.set(key, validate);
  }
  if (!validate(value)) throw new Error(`${name} does not match Okta's spec: ${ajv.errorsText(validate.errors)}`);
}
