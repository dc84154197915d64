/**
 * The describer's Prometheus metrics: requests per method and lane, sequences and tokens
 * generated, rows per decoder step (how much step batching shares), decoder calls by kind,
 * queue depth and delay per lane, time to first token. Failed calls count in the process's
 * `embedder_errors_total` by method (Describe, Ask, GetDescriberInfo).
 * Tokens per second is `rate(describer_tokens_generated_total[1m])`.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DecoderCallKind } from '@vsearch/model';
import type { Lane } from '../batching/dynamic-batcher';
import type { StepBatcherHooks } from '../batching/step-batcher';

const ROW_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class DescriberMetrics {
  readonly requests: Counter<'method' | 'lane'>;
  readonly sequences: Counter<'lane' | 'finish_reason'>;
  readonly tokens: Counter<'lane'>;
  readonly stepRows: Histogram;
  readonly stepSeconds: Histogram;
  readonly stepFailures: Counter;
  readonly decoderCalls: Histogram<'kind'>;
  readonly queueDepth: Gauge<'lane'>;
  readonly queueDelay: Histogram<'lane'>;
  readonly firstToken: Histogram<'lane'>;
  readonly droppedSequences: Counter<'lane' | 'reason'>;
  readonly unknownWordQuestions: Counter;

  constructor(
    registry: Registry,
    /** The process's failed-call counter (EmbedderMetrics.errors). */
    readonly errors: Counter<'method' | 'code'>,
  ) {
    const registers = [registry];
    this.requests = new Counter({ name: 'describer_requests_total', help: 'Describe and Ask calls accepted', labelNames: ['method', 'lane'], registers });
    this.sequences = new Counter({
      name: 'describer_sequences_total',
      help: 'Sequences generated (one per described image or answered question), by why they stopped',
      labelNames: ['lane', 'finish_reason'],
      registers,
    });
    this.tokens = new Counter({
      name: 'describer_tokens_generated_total',
      help: 'Tokens generated (stop tokens not counted)',
      labelNames: ['lane'],
      registers,
    });
    this.stepRows = new Histogram({
      name: 'describer_step_rows',
      help: 'Decoder rows per step (sequences × beams sharing one step); above 1 means step batching shared the step',
      buckets: ROW_BUCKETS,
      registers,
    });
    this.stepSeconds = new Histogram({ name: 'describer_step_seconds', help: 'Model time per decoding step', buckets: LATENCY_BUCKETS, registers });
    this.stepFailures = new Counter({ name: 'describer_step_failures_total', help: 'Steps whose model call threw', registers });
    this.decoderCalls = new Histogram({
      name: 'describer_decoder_call_rows',
      help: 'Rows per decoder call, by kind: prefill (prompts of joining sequences) or step (one token per row)',
      labelNames: ['kind'],
      buckets: ROW_BUCKETS,
      registers,
    });
    this.queueDepth = new Gauge({ name: 'describer_queue_depth', help: 'Sequences waiting to join a step', labelNames: ['lane'], registers });
    this.queueDelay = new Histogram({
      name: 'describer_queue_delay_seconds',
      help: 'Time a sequence waited before joining a step',
      labelNames: ['lane'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.firstToken = new Histogram({
      name: 'describer_time_to_first_token_seconds',
      help: 'Time from a sequence’s arrival to its first generated token',
      labelNames: ['lane'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.droppedSequences = new Counter({
      name: 'describer_dropped_sequences_total',
      help: 'Sequences refused at the queue or taken out of the batch (queue full, deadline passed, call cancelled, shutting down)',
      labelNames: ['lane', 'reason'],
      registers,
    });
    this.unknownWordQuestions = new Counter({
      name: 'describer_unknown_word_questions_total',
      help: "Questions answered with the can't-tell answer without decoding because of words outside the vocabulary",
      registers,
    });
    for (const lane of ['interactive', 'bulk'] as const) this.queueDepth.set({ lane }, 0);
  }

  batcherHooks(): StepBatcherHooks {
    return {
      queueDepth: (depth) => {
        for (const lane of Object.keys(depth) as Lane[]) this.queueDepth.set({ lane }, depth[lane]);
      },
      queueDelay: (lane, ms) => this.queueDelay.observe({ lane }, ms / 1000),
      firstToken: (lane, ms) => this.firstToken.observe({ lane }, ms / 1000),
      rejected: (lane, reason, sequences) => this.droppedSequences.inc({ lane, reason }, sequences),
      sequenceFinished: (lane, result) => {
        this.sequences.inc({ lane, finish_reason: result.finishReason });
        this.tokens.inc({ lane }, result.tokenIds.length);
      },
      stepFinished: (stats) => {
        this.stepSeconds.observe(stats.durationMs / 1000);
        if (stats.error !== undefined) this.stepFailures.inc();
        else this.stepRows.observe(stats.rows);
      },
    };
  }

  /** The runtime's hook for its decoder calls. */
  observeDecoderCall(kind: DecoderCallKind, rows: number): void {
    this.decoderCalls.observe({ kind }, rows);
  }
}
