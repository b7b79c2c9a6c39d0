// One error type for everything a user must read. `message` is a single line that says what is
// wrong and, where it helps, what would be right. The CLI prints it (and logs it) and exits 1.

export class HuskError extends Error {
  /** Exit status for the CLI; runc uses 1 for every failure it reports. */
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'HuskError';
    this.exitCode = exitCode;
  }
}

/** A one-line description of an errno-carrying Node error: "ENOENT: no such file or directory". */
export function describeSystemError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') {
    const text = (e.message ?? '').replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    return `${e.code}: ${text}`;
  }
  return String((err as Error)?.message ?? err);
}
