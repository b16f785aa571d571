/**
 * Where the package's files are, for code that runs from `src/` (under tsx, in tests and scripts) and from
 * the compiled `dist/` (the CLI) alike. Both folders sit one level below the package root, and the build
 * copies no assets, so every file the code reads at run time (the collection, the environment template,
 * package.json, any other template) is named from the root with {@link packagePath}, never relative to
 * `import.meta.url`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder: the one holding package.json, `collections/` and `environments/`. */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A file or folder of the package, by its path from the root (`packagePath('collections', 'x.json')`). */
export function packagePath(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}

let version: string | undefined;

/** package.json's `version`, read once. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
