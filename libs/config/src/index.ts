/**
 * Typed configuration from environment variables: one zod schema per service,
 * validated at start-up, failing with a message that names every bad variable.
 */
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration for ${service}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` with a schema whose keys are environment variable names and
 * returns a deeply frozen result. Unknown variables are ignored.
 */
export function loadConfig<S extends z.ZodObject>(service: string, schema: S, env: NodeJS.ProcessEnv = process.env): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
      const shown = value === undefined ? 'unset' : isSecretName(name) ? 'set (hidden)' : JSON.stringify(value);
      return `${name} (${shown}): ${issue.message}`;
    });
    throw new ConfigError(service, problems);
  }
  return deepFreeze(result.data);
}

/** Helpers for common environment variable shapes. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  nonNegativeInt: (fallback: number) => z.coerce.number().int().nonnegative().default(fallback),
  /** A share from 0 to 1 (0.98 is 98 %). */
  share: (fallback: number) => z.coerce.number().min(0).max(1).default(fallback),
  nonNegativeNumber: (fallback: number) => z.coerce.number().nonnegative().default(fallback),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  list: () =>
    z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      ),
  optionalString: () =>
    z
      .string()
      .optional()
      .transform((value) => (value === '' ? undefined : value)),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

function isSecretName(name: string): boolean {
  return /KEY|SECRET|PASSWORD|TOKEN/i.test(name);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
