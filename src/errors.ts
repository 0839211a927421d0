/**
 * The one user-facing error type. `message` says what happened and why; `hint` says what to do.
 * Anything thrown that is not a Micro1Error is a bug and the CLI reports it as one.
 */
export class Micro1Error extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'Micro1Error';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

export function isMicro1Error(error: unknown): error is Micro1Error {
  return error instanceof Micro1Error;
}

/** Node's errno code of an fs error, if any. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
