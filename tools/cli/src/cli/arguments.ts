/**
 * Argument parsers for commander options: a bad value is a usage error (exit 2)
 * that names the flag and what it accepts.
 */
import { InvalidArgumentError } from 'commander';

export function integerArg(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
}

export function nonNegativeNumberArg(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError(`${name} must be a non-negative number such as 19.99`);
    return parsed;
  };
}

export function booleanArg(name: string): (value: string) => boolean {
  return (value) => {
    const normalised = value.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(normalised)) return true;
    if (['false', '0', 'no'].includes(normalised)) return false;
    throw new InvalidArgumentError(`${name} must be true or false`);
  };
}

export function httpUrlArg(name: string): (value: string) => string {
  return (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidArgumentError(`${name} must be an http(s) URL such as http://localhost:8080`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`${name} must be an http(s) URL such as http://localhost:8080`);
    return value.replace(/\/+$/, '');
  };
}

/** Repeatable option (`--category a --category b`), also accepting `--category a,b`. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  ];
}
