/**
 * What a command throws to end the process with a given exit code and a one-line
 * message: 2 for a usage mistake (wrong flags, contradicting options), 1 for a
 * runtime failure (the API is down, a file cannot be read). Anything else thrown
 * is a runtime failure too.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}
