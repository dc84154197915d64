import { requestIdFrom } from './request-id';

describe(requestIdFrom.name, () => {
  it('keeps a well-formed incoming id', () => {
    expect(requestIdFrom('abc-123')).toBe('abc-123');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
  });

  it('replaces a missing, oversized or unprintable id with a fresh UUID', () => {
    for (const bad of [undefined, '', 'x'.repeat(129), 'line\nbreak', '<script>']) {
      const id = requestIdFrom(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
