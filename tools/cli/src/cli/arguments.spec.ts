import { InvalidArgumentError } from 'commander';
import { booleanArg, collectList, httpUrlArg, integerArg, nonNegativeNumberArg } from './arguments';

describe('argument parsers', () => {
  it('accept good values and refuse bad ones with the flag name', () => {
    expect(integerArg('--limit', 1, 100)('24')).toBe(24);
    expect(() => integerArg('--limit', 1, 100)('0')).toThrow(new InvalidArgumentError('--limit must be a whole number from 1 to 100'));
    expect(() => integerArg('--limit', 1, 100)('2.5')).toThrow(InvalidArgumentError);
    expect(() => integerArg('--limit', 1, 100)('')).toThrow(InvalidArgumentError);
    expect(nonNegativeNumberArg('--max-price')('19.99')).toBe(19.99);
    expect(() => nonNegativeNumberArg('--max-price')('cheap')).toThrow(/--max-price/);
    expect(() => nonNegativeNumberArg('--max-price')('-1')).toThrow(/--max-price/);
    expect(booleanArg('--x')('YES')).toBe(true);
    expect(() => booleanArg('--x')('maybe')).toThrow(/--x must be true or false/);
    expect(httpUrlArg('--api-url')('http://localhost:8080/')).toBe('http://localhost:8080');
    expect(() => httpUrlArg('--api-url')('localhost:8080')).toThrow(/--api-url/);
    expect(() => httpUrlArg('--api-url')('ftp://host')).toThrow(/--api-url/);
  });

  it('collects repeated and comma-separated values', () => {
    expect(collectList('b, c', collectList('a'))).toEqual(['a', 'b', 'c']);
  });
});
