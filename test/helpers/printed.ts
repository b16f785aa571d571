/**
 * Runs `fn` with process.stdout and process.stderr captured (Newman's live cli reporter writes to the process
 * streams), and hands back its result and everything printed meanwhile; the streams are restored after.
 */
export async function printedDuring<T>(fn: () => Promise<T>): Promise<{ result: T; printed: string }> {
  let printed = '';
  const writes = [process.stdout.write, process.stderr.write] as const;
  const capture = ((chunk: unknown) => {
    printed += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    return { result: await fn(), printed };
  } finally {
    [process.stdout.write, process.stderr.write] = writes;
  }
}
