import { RepetitionGuard } from './repetition-guard';
import { SequenceSearch, type RowOutput, type SearchOptions } from './sequence-search';

const EOS = 3;
const [A, B, C, D] = [5, 6, 7, 8];
const VOCABULARY = 9;
const PROMPT = [2, 10 % VOCABULARY, 4];

/** Next-token probabilities by the generated tokens so far ('' = none); anything unlisted is near zero. */
type ToyTable = Record<string, Partial<Record<number, number>>>;

/**
 * A fake decoder over a toy probability table. Its state is the whole token history, so a search
 * that handed a row the wrong state (another beam's, or none) would read the wrong table entry.
 */
function runToy(table: ToyTable, options: SearchOptions): { search: SequenceSearch<number[]>; steps: number } {
  const search = new SequenceSearch<number[]>(PROMPT, options);
  let steps = 0;
  while (!search.done) {
    const outputs: RowOutput<number[]>[] = search.pendingRows().map(({ state, feed }) => {
      const history = [...(state ?? []), ...feed];
      const generated = history.slice(PROMPT.length).join(' ');
      const probabilities = table[generated] ?? {};
      const logits = new Float32Array(VOCABULARY).fill(Math.log(1e-9));
      for (const [token, p] of Object.entries(probabilities)) logits[Number(token)] = Math.log(p!);
      return { logits, state: history };
    });
    search.advance(outputs);
    steps++;
  }
  return { search, steps };
}

const greedy = (maxNewTokens = 10, guard?: RepetitionGuard): SearchOptions => ({ beamWidth: 1, maxNewTokens, stopToken: EOS, guard });

describe(SequenceSearch.name, () => {
  it('stops at the stop token, which it leaves out of the result', () => {
    const { search, steps } = runToy({ '': { [A]: 0.9 }, [A]: { [B]: 0.9 }, [`${A} ${B}`]: { [EOS]: 0.9 } }, greedy());
    expect(search.result()).toMatchObject({ tokenIds: [A, B], finishReason: 'stop' });
    expect(steps).toBe(3);
  });

  it('stops after max new tokens with finish reason length', () => {
    const table: ToyTable = { '': { [A]: 0.9 }, [A]: { [B]: 0.9 }, [`${A} ${B}`]: { [C]: 0.9 }, [`${A} ${B} ${C}`]: { [D]: 0.9 } };
    const { search, steps } = runToy(table, greedy(3));
    expect(search.result()).toMatchObject({ tokenIds: [A, B, C], finishReason: 'length' });
    expect(steps).toBe(3);
  });

  it('stops a run of one token with finish reason repetition, without the looping token', () => {
    const table: ToyTable = { '': { [A]: 0.9 }, [A]: { [B]: 0.9 }, [`${A} ${B}`]: { [B]: 0.9 }, [`${A} ${B} ${B}`]: { [B]: 0.9 } };
    const { search } = runToy(table, greedy(10, new RepetitionGuard({ maxTokenRun: 2, noRepeatNgram: 0 })));
    expect(search.result()).toMatchObject({ tokenIds: [A, B, B], finishReason: 'repetition' });
  });

  it('stops a repeated n-gram with finish reason repetition', () => {
    const table: ToyTable = {
      '': { [A]: 0.9 },
      [A]: { [B]: 0.9 },
      [`${A} ${B}`]: { [C]: 0.9 },
      [`${A} ${B} ${C}`]: { [A]: 0.9 },
      [`${A} ${B} ${C} ${A}`]: { [B]: 0.9 },
      [`${A} ${B} ${C} ${A} ${B}`]: { [C]: 0.9 },
    };
    const { search } = runToy(table, greedy(10, new RepetitionGuard({ noRepeatNgram: 3 })));
    expect(search.result()).toMatchObject({ tokenIds: [A, B, C, A, B], finishReason: 'repetition' });
  });

  it('finds with beam search the more probable sequence greedy decoding misses', () => {
    // Greedy takes A (0.5) then C: P(A C) = 0.2. B (0.4) then the stop token has P = 0.36.
    const table: ToyTable = {
      '': { [A]: 0.5, [B]: 0.4, [C]: 0.1 },
      [A]: { [C]: 0.4, [EOS]: 0.3, [B]: 0.3 },
      [B]: { [EOS]: 0.9, [C]: 0.1 },
      [`${A} ${C}`]: { [EOS]: 1 },
      [`${A} ${B}`]: { [EOS]: 0.9 },
    };
    expect(runToy(table, greedy()).search.result()).toMatchObject({ tokenIds: [A, C], finishReason: 'stop' });
    const beam = runToy(table, { beamWidth: 2, maxNewTokens: 10, stopToken: EOS }).search.result();
    expect(beam).toMatchObject({ tokenIds: [B], finishReason: 'stop' });
    expect(beam.logProbability).toBeCloseTo(Math.log(0.36), 5);
  });

  it('holds at most beamWidth rows per step and ends beams at max new tokens', () => {
    const table: ToyTable = { '': { [A]: 0.4, [B]: 0.3, [C]: 0.2, [D]: 0.1 } };
    const search = new SequenceSearch<number[]>(PROMPT, { beamWidth: 3, maxNewTokens: 1, stopToken: EOS });
    expect(search.width).toBe(1);
    const logits = new Float32Array(VOCABULARY).fill(-20);
    for (const [token, p] of Object.entries(table[''])) logits[Number(token)] = Math.log(p!);
    search.advance([{ logits, state: PROMPT }]);
    expect(search.done).toBe(true);
    expect(search.result()).toMatchObject({ tokenIds: [A], finishReason: 'length' });
  });

  it('never generates a suppressed token, however likely', () => {
    const table: ToyTable = { '': { 1: 0.9, [A]: 0.1 }, [A]: { 4: 0.8, [EOS]: 0.2 } };
    const { search } = runToy(table, { ...greedy(), suppressTokens: [0, 1, 2, 4] });
    expect(search.result()).toMatchObject({ tokenIds: [A], finishReason: 'stop' });
  });

  it('generates at least one token before the stop token (min new tokens 1 by default)', () => {
    const table: ToyTable = { '': { [EOS]: 0.9, [A]: 0.1 }, [A]: { [EOS]: 0.9 } };
    expect(runToy(table, greedy()).search.result()).toMatchObject({ tokenIds: [A], finishReason: 'stop' });
    expect(runToy(table, { ...greedy(), minNewTokens: 0 }).search.result()).toMatchObject({ tokenIds: [], finishReason: 'stop' });
  });

  it('refuses beam widths outside 1 to 4 and an empty prompt', () => {
    expect(() => new SequenceSearch([2], { beamWidth: 5, maxNewTokens: 4, stopToken: EOS })).toThrow(/beamWidth/);
    expect(() => new SequenceSearch([2], { beamWidth: 0, maxNewTokens: 4, stopToken: EOS })).toThrow(/beamWidth/);
    expect(() => new SequenceSearch([], { beamWidth: 1, maxNewTokens: 4, stopToken: EOS })).toThrow(/prompt/);
  });
});

describe(RepetitionGuard.name, () => {
  it('lets sentences start alike by default and stops a repeated 4-gram', () => {
    const DOT = 9;
    const guard = new RepetitionGuard();
    // ". a b c . a b" then D: the trigram ". a b" repeats, the 4-gram ". a b D" does not.
    expect(guard.wouldRepeat([DOT, A, B, C, DOT, A, B], D)).toBe(false);
    expect(guard.wouldRepeat([DOT, A, B, C, DOT, A, B], C)).toBe(true);
  });

  it('allows a word used twice apart, refuses a third use in a row and a repeated trigram', () => {
    const guard = new RepetitionGuard({ noRepeatNgram: 3 });
    expect(guard.wouldRepeat([A, B, C], A)).toBe(false);
    expect(guard.wouldRepeat([A, A], A)).toBe(true);
    expect(guard.wouldRepeat([A], A)).toBe(false);
    expect(guard.wouldRepeat([A, B, C, A], B)).toBe(false);
    expect(guard.wouldRepeat([A, B, C, A, B], C)).toBe(true);
  });
});
