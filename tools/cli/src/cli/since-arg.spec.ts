import { InvalidArgumentError } from 'commander';
import { sinceArg } from './since-arg';

describe(sinceArg.name, () => {
  const now = Date.parse('2025-03-08T12:00:00Z');
  const parse = sinceArg('--since', () => now);

  it('counts a duration back from now', () => {
    expect(parse('90s')).toBe(now - 90_000);
    expect(parse('15m')).toBe(now - 15 * 60_000);
    expect(parse('2h')).toBe(now - 2 * 3_600_000);
    expect(parse('7d')).toBe(Date.parse('2025-03-01T12:00:00Z'));
    expect(parse('1w')).toBe(Date.parse('2025-03-01T12:00:00Z'));
  });

  it('reads an ISO 8601 date-time or date', () => {
    expect(parse('2025-03-01T10:00:00Z')).toBe(Date.parse('2025-03-01T10:00:00Z'));
    expect(parse('2025-03-01T10:00:00+02:00')).toBe(Date.parse('2025-03-01T08:00:00Z'));
    expect(parse('2025-03-01')).toBe(Date.parse('2025-03-01'));
  });

  it('refuses anything else, naming the flag and the accepted forms', () => {
    for (const bad of ['yesterday', '2h30m', '-5m', '5 hours', '', '03/01/2025', '2025-13-45']) {
      expect(() => parse(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => parse('yesterday')).toThrow(/--since must be an ISO 8601 date-time .* or a duration back from now such as 30m/);
  });
});
