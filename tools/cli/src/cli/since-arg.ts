/**
 * `--since` values: an ISO 8601 date-time (`2025-03-01T10:00:00Z`, `2025-03-01`) or a duration
 * back from now (`90s`, `15m`, `2h`, `7d`, `2w`). A bad value is a usage error naming the flag.
 */
import { InvalidArgumentError } from 'commander';

const DURATION = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses to ms since the epoch; durations count back from `now()` at parse time. */
export function sinceArg(name: string, now: () => number = Date.now): (value: string) => number {
  return (value) => {
    const text = value.trim();
    const duration = DURATION.exec(text);
    if (duration) return now() - Number(duration[1]) * UNIT_MS[duration[2]];
    const instant = ISO_DATE.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(instant)) {
      throw new InvalidArgumentError(`${name} must be an ISO 8601 date-time such as 2025-03-01T10:00:00Z, or a duration back from now such as 30m, 2h or 7d`);
    }
    return instant;
  };
}
