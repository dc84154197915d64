import { UsageError } from '../cli/errors';
import { replayFilterFromOptions } from './dlq.command';

describe(replayFilterFromOptions.name, () => {
  it('replays by reason, by id, or everything, narrowed by --since', () => {
    expect(replayFilterFromOptions({ reason: 'refused_address', since: 1000 })).toEqual({ reason: 'refused_address', id: undefined, sinceMs: 1000 });
    expect(replayFilterFromOptions({ id: '0-12' })).toEqual({ reason: undefined, id: '0-12', sinceMs: undefined });
    expect(replayFilterFromOptions({ all: true })).toEqual({ reason: undefined, id: undefined, sinceMs: undefined });
  });

  it('refuses to replay without saying what, as a usage error', () => {
    expect(() => replayFilterFromOptions({})).toThrow(new UsageError('dlq replay needs --reason <code>, --id <id> or --all (what to replay)'));
    expect(() => replayFilterFromOptions({ since: 1000 })).toThrow(UsageError);
  });

  it('refuses two choices at once, naming them', () => {
    expect(() => replayFilterFromOptions({ reason: 'parse', id: '0-1' })).toThrow(/not --reason and --id/);
    expect(() => replayFilterFromOptions({ all: true, reason: 'parse' })).toThrow(/not --reason and --all/);
  });

  it('refuses an id that is not <partition>-<offset>', () => {
    expect(() => replayFilterFromOptions({ id: '12' })).toThrow(/--id "12" is not <partition>-<offset>/);
  });
});
