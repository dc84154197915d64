/**
 * The search over one sequence's next tokens, greedy or beam, independent of how a model is run
 * or batched: it says which rows it needs computed next (`pendingRows`: a hypothesis, its model
 * state so far, and the tokens still to feed), takes the next-token logits of those rows
 * (`advance`) and decides what to keep. A row's model state (a KV cache, for instance) is opaque
 * here; beams that continue one hypothesis share its state, so a model must treat states as
 * values (never change one in place).
 */
import { argmax, logSoftmax, topK } from './log-softmax';
import { RepetitionGuard } from './repetition-guard';
import type { FinishReason } from '@vsearch/contracts';

export interface SearchOptions {
  /** 1 = greedy; 2 to 4 = beam search with that many beams. */
  beamWidth: number;
  /** Most tokens to generate (the stop token not counted). */
  maxNewTokens: number;
  /** The token that ends a generation. */
  stopToken: number;
  guard?: RepetitionGuard;
  /** Beam scores are the log-probability divided by length^lengthPenalty (Hugging Face's rule); default 1. */
  lengthPenalty?: number;
  /** Tokens never generated (a model's padding, unknown, start and separator tokens): their logits count as -∞. */
  suppressTokens?: readonly number[];
  /** The stop token is suppressed until this many tokens were generated (Hugging Face's min_new_tokens); default 1, so no generation is empty. */
  minNewTokens?: number;
}

/** One row the model must compute: feed `feed` after `state`, return the logits of the next token. */
export interface PendingRow<State> {
  state: State | undefined;
  feed: readonly number[];
}

/** What the model computed for one pending row. */
export interface RowOutput<State> {
  /** Logits over the vocabulary for the token after the fed ones. */
  logits: Float32Array;
  /** The state after feeding. */
  state: State;
}

export interface SearchResult {
  tokenIds: number[];
  finishReason: FinishReason;
  /** Sum of the generated tokens' log-probabilities (the stop token's included when it ended the search). */
  logProbability: number;
}

interface Hypothesis<State> {
  tokens: number[];
  logProbability: number;
  state: State | undefined;
  feed: number[];
}

interface Finished extends SearchResult {
  score: number;
}

export const MAX_BEAM_WIDTH = 4;

export class SequenceSearch<State> {
  private live: Hypothesis<State>[];
  private readonly finished: Finished[] = [];
  private readonly guard: RepetitionGuard;

  constructor(
    prompt: readonly number[],
    private readonly options: SearchOptions,
  ) {
    if (!Number.isInteger(options.beamWidth) || options.beamWidth < 1 || options.beamWidth > MAX_BEAM_WIDTH)
      throw new RangeError(`beamWidth must be 1 to ${MAX_BEAM_WIDTH}, got ${options.beamWidth}`);
    if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1) throw new RangeError(`maxNewTokens must be ≥ 1, got ${options.maxNewTokens}`);
    if (prompt.length === 0) throw new RangeError('the prompt must hold at least one token');
    this.guard = options.guard ?? new RepetitionGuard();
    this.live = [{ tokens: [], logProbability: 0, state: undefined, feed: [...prompt] }];
  }

  /** Rows the model computes for the next step; empty once the search is done. */
  pendingRows(): PendingRow<State>[] {
    return this.live.map(({ state, feed }) => ({ state, feed }));
  }

  /** Rows the next step will hold (a beam search holds up to beamWidth). */
  get width(): number {
    return this.live.length;
  }

  get done(): boolean {
    return this.live.length === 0;
  }

  /** Takes the model's outputs for `pendingRows()`, in the same order, and moves the search one token on. */
  advance(outputs: readonly RowOutput<State>[]): void {
    if (outputs.length !== this.live.length) throw new Error(`expected ${this.live.length} row outputs, got ${outputs.length}`);
    if (this.options.beamWidth === 1) this.advanceGreedy(outputs[0]);
    else this.advanceBeams(outputs);
  }

  /** The best generation; only once `done`. */
  result(): SearchResult {
    if (!this.done) throw new Error('the search is not done');
    const best = this.finished.reduce((a, b) => (b.score > a.score ? b : a));
    return { tokenIds: best.tokenIds, finishReason: best.finishReason, logProbability: best.logProbability };
  }

  /** Log-probabilities of the next token after `generated`, with the suppressed tokens (and the stop token while too short) at -∞. */
  private logProbabilities(logits: Float32Array, generated: readonly number[]): Float32Array {
    const suppressed = [...(this.options.suppressTokens ?? [])];
    if (generated.length < (this.options.minNewTokens ?? 1)) suppressed.push(this.options.stopToken);
    if (suppressed.length === 0) return logSoftmax(logits);
    const allowed = Float32Array.from(logits);
    for (const token of suppressed) if (token < allowed.length) allowed[token] = Number.NEGATIVE_INFINITY;
    return logSoftmax(allowed);
  }

  private advanceGreedy(output: RowOutput<State>): void {
    const hypothesis = this.live[0];
    const logProbabilities = this.logProbabilities(output.logits, hypothesis.tokens);
    const token = argmax(logProbabilities);
    const logProbability = hypothesis.logProbability + logProbabilities[token];
    this.live = [];
    if (token === this.options.stopToken) return this.finish(hypothesis.tokens, 'stop', logProbability);
    if (this.guard.wouldRepeat(hypothesis.tokens, token)) return this.finish(hypothesis.tokens, 'repetition', hypothesis.logProbability);
    const tokens = [...hypothesis.tokens, token];
    if (tokens.length >= this.options.maxNewTokens) return this.finish(tokens, 'length', logProbability);
    this.live = [{ tokens, logProbability, state: output.state, feed: [token] }];
  }

  /**
   * One beam step: the beamWidth × 2 best continuations over all beams, best first; a stop token
   * among the first beamWidth finishes that hypothesis, a looping token finishes its parent, the
   * rest become the next beams (up to beamWidth). The search ends once beamWidth hypotheses have
   * finished (Hugging Face's early_stopping=True) or every beam reached maxNewTokens.
   */
  private advanceBeams(outputs: readonly RowOutput<State>[]): void {
    const width = this.options.beamWidth;
    const candidates: { parent: number; token: number; logProbability: number }[] = [];
    outputs.forEach((output, parent) => {
      const logProbabilities = this.logProbabilities(output.logits, this.live[parent].tokens);
      for (const token of topK(logProbabilities, 2 * width)) {
        candidates.push({ parent, token, logProbability: this.live[parent].logProbability + logProbabilities[token] });
      }
    });
    candidates.sort((a, b) => b.logProbability - a.logProbability || a.parent - b.parent || a.token - b.token);
    const next: Hypothesis<State>[] = [];
    for (const [rank, candidate] of candidates.entries()) {
      if (next.length === width) break;
      const parent = this.live[candidate.parent];
      if (candidate.token === this.options.stopToken) {
        if (rank < width) this.finish(parent.tokens, 'stop', candidate.logProbability);
      } else if (this.guard.wouldRepeat(parent.tokens, candidate.token)) {
        if (rank < width) this.finish(parent.tokens, 'repetition', parent.logProbability);
      } else {
        const tokens = [...parent.tokens, candidate.token];
        if (tokens.length >= this.options.maxNewTokens) this.finish(tokens, 'length', candidate.logProbability);
        else next.push({ tokens, logProbability: candidate.logProbability, state: outputs[candidate.parent].state, feed: [candidate.token] });
      }
    }
    this.live = this.finished.length >= width ? [] : next;
  }

  private finish(tokenIds: number[], finishReason: FinishReason, logProbability: number): void {
    // The stop token counts towards the length, so a stopped hypothesis is not favoured for being short.
    const length = Math.max(1, tokenIds.length + (finishReason === 'stop' ? 1 : 0));
    const score = logProbability / length ** (this.options.lengthPenalty ?? 1);
    this.finished.push({ tokenIds, finishReason, logProbability, score });
  }
}
