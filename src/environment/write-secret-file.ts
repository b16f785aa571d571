/**
 * Atomic file writes for anything that may hold a secret (private keys, rendered environments, run state).
 *
 * The text goes to a temporary file in the target's directory, created exclusively with the final mode,
 * flushed, then renamed over the target: a reader sees the old file or the new one, never half of one,
 * and the secret never exists on disk with a looser mode.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Permission bits of the written file, applied whatever the umask. Default `0o600`. */
  mode?: number;
  /**
   * Permission bits of directories this call creates. Default `0o700`. An existing directory is left as
   * it is: tightening a directory the user chose (their working directory, say) would surprise them.
   */
  directoryMode?: number;
}

/**
 * Writes `text` (UTF-8) to `path` atomically with the given mode, creating missing parent directories.
 * Leaves no temporary file behind, whether it succeeds or fails.
 */
export async function writeFileAtomic(path: string, text: string, options: WriteFileAtomicOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o600;
  const directoryMode = options.directoryMode ?? 0o700;
  if (typeof text !== 'string') throw new TypeError('writeFileAtomic: text must be a string');
  checkMode('mode', mode);
  checkMode('directoryMode', directoryMode);

  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: directoryMode });
  // Same directory as the target, so rename() stays on one filesystem and is atomic.
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      // open() applies the umask; chmod makes the mode exact (0644 stays 0644 under umask 077).
      await handle.chmod(mode);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/**
 * Writes a secret file: mode `0600`, atomic, missing directories created `0700`. Use it for private keys,
 * rendered Postman environments (they hold the API token) and run state files.
 */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text, { mode: 0o600, directoryMode: 0o700 });
}

function checkMode(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0o777) {
    throw new TypeError(`writeFileAtomic: ${name} must be permission bits between 0o000 and 0o777`);
  }
}
