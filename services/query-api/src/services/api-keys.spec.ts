import { ApiKeyVerifier } from './api-keys';

describe(ApiKeyVerifier.name, () => {
  const verifier = new ApiKeyVerifier(['alpha-key', 'beta-key']);

  it('accepts any configured key and names the client by a hash, not the key', () => {
    const verdict = verifier.verify('beta-key');
    expect(verdict).toEqual({ outcome: 'accepted', clientId: expect.stringMatching(/^key:[0-9a-f]{16}$/) });
    expect(JSON.stringify(verdict)).not.toContain('beta');
    expect(verifier.verify(['alpha-key'])).toMatchObject({ outcome: 'accepted' });
  });

  it('tells a missing key from a wrong one', () => {
    expect(verifier.verify(undefined)).toEqual({ outcome: 'missing' });
    expect(verifier.verify('')).toEqual({ outcome: 'missing' });
    expect(verifier.verify('alpha-ke')).toEqual({ outcome: 'rejected' });
    expect(verifier.verify('alpha-key ')).toEqual({ outcome: 'rejected' });
    expect(verifier.verify('x'.repeat(10_000))).toEqual({ outcome: 'rejected' });
  });

  it('rejects every key when none is configured', () => {
    const none = new ApiKeyVerifier(['']);
    expect(none.configured).toBe(false);
    expect(none.verify('anything')).toEqual({ outcome: 'rejected' });
  });
});
