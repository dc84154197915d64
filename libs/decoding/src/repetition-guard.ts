/**
 * Stops a generation that has started to loop, the failure small decoders fall into ("a red red
 * red shirt", "a shirt on a white background on a white background"): a token may not repeat an
 * n-gram already generated (Hugging Face's no_repeat_ngram_size) nor extend a run of one token
 * past `maxTokenRun`. The token that would loop is not appended; the generation ends with
 * finish reason 'repetition'.
 */
export interface RepetitionGuardOptions {
  /**
   * Length of the n-grams that may appear only once among the generated tokens (0 turns the rule off).
   * Default 4: sentences of a description may start alike (". it is blue ... . it is on ...") without looping.
   */
  noRepeatNgram?: number;
  /** Longest run of one token allowed (0 turns the rule off). Default 2. */
  maxTokenRun?: number;
}

export class RepetitionGuard {
  private readonly ngram: number;
  private readonly maxRun: number;

  constructor(options: RepetitionGuardOptions = {}) {
    this.ngram = options.noRepeatNgram ?? 4;
    this.maxRun = options.maxTokenRun ?? 2;
    if (!Number.isInteger(this.ngram) || this.ngram < 0) throw new RangeError('noRepeatNgram must be a whole number ≥ 0');
    if (!Number.isInteger(this.maxRun) || this.maxRun < 0) throw new RangeError('maxTokenRun must be a whole number ≥ 0');
  }

  /** True when appending `next` to `generated` would loop. */
  wouldRepeat(generated: readonly number[], next: number): boolean {
    return this.extendsRun(generated, next) || this.repeatsNgram(generated, next);
  }

  private extendsRun(generated: readonly number[], next: number): boolean {
    if (this.maxRun === 0) return false;
    let run = 1;
    for (let i = generated.length - 1; i >= 0 && generated[i] === next; i--) run++;
    return run > this.maxRun;
  }

  private repeatsNgram(generated: readonly number[], next: number): boolean {
    const n = this.ngram;
    if (n === 0 || generated.length < n) return false;
    // The n-gram `next` would complete: the last n-1 generated tokens, then `next`.
    const tail = generated.length - (n - 1);
    for (let start = 0; start + n <= generated.length; start++) {
      let same = generated[start + n - 1] === next;
      for (let j = 0; same && j < n - 1; j++) same = generated[start + j] === generated[tail + j];
      if (same) return true;
    }
    return false;
  }
}
