/**
 * The arithmetic of the swap gates, pure: recall@k of one query and of a query set, and each
 * gate's pass/fail decision from its figures. Kept apart from the I/O so the rules read (and are
 * tested) on their own.
 */
import type { GateResult } from '@vsearch/contracts';

/** Results a gate query looks at: shoppers see the first page. */
export const GATE_RECALL_K = 10;

/** Rounding noise in a comparison of shares never fails a gate. */
const EPSILON = 1e-9;

/**
 * Recall@k of one query: the share of its expected products found among the first k hits. A
 * query expecting more than k products is scored against k (a perfect first page scores 1).
 */
export function recallAtK(hits: readonly string[], expected: readonly string[], k = GATE_RECALL_K): number {
  const wanted = new Set(expected);
  if (wanted.size === 0) return 1;
  const found = new Set(hits.slice(0, k).filter((id) => wanted.has(id))).size;
  return found / Math.min(wanted.size, k);
}

/** Mean recall@k over a query set; 1 for an empty set (nothing was asked, nothing missed). */
export function meanRecall(recalls: readonly number[]): number {
  return recalls.length === 0 ? 1 : recalls.reduce((sum, recall) => sum + recall, 0) / recalls.length;
}

/** Product count: the new generation holds at least `minShare` of the live one's products. */
export function productCountGate(next: number, live: number, minShare: number): GateResult {
  const required = Math.ceil(live * minShare - EPSILON);
  return {
    gate: 'product_count',
    passed: next >= required,
    measured: next,
    required,
    live,
    detail: `${next} products in the new generation, ${live} live; at least ${formatShare(minShare)} of live (${required}) required`,
  };
}

/** Failed images: the share of images that could not be fetched, decoded or embedded stays at or below `maxShare`. */
export function failedImagesGate(failed: number, total: number, maxShare: number, live?: { failed: number; total: number }, scope = ''): GateResult {
  const measured = total === 0 ? 0 : failed / total;
  const liveShare = live && live.total > 0 ? live.failed / live.total : undefined;
  return {
    gate: 'failed_images',
    passed: measured <= maxShare + EPSILON,
    measured,
    required: maxShare,
    ...(liveShare !== undefined ? { live: liveShare } : {}),
    detail:
      `${failed} of ${total} images failed (${formatShare(measured)})${scope}; at most ${formatShare(maxShare)} allowed` +
      (liveShare !== undefined ? `; live: ${live!.failed} of ${live!.total} (${formatShare(liveShare)})` : ''),
  };
}

/**
 * A recall gate: the new generation's recall@10 may fall at most `margin` below the live one's.
 * Without a live figure (none measured, none recorded) nothing can be compared: the gate passes
 * and says so.
 */
export function recallGate(gate: 'golden_recall' | 'catalog_recall', measured: number, live: number | undefined, margin: number, detail: string): GateResult {
  if (live === undefined) {
    return { gate, passed: true, measured, required: 0, detail: `${detail}; no live figure to compare with, so the gate passes` };
  }
  const required = Math.max(0, live - margin);
  return {
    gate,
    passed: measured >= required - EPSILON,
    measured,
    required,
    live,
    detail: `${detail}; recall@${GATE_RECALL_K} ${measured.toFixed(3)} vs live ${live.toFixed(3)}, at most ${margin} below live allowed`,
  };
}

/** A gate with nothing to check (no golden set stored, no product sampled): passes, saying why. */
export function notRunGate(gate: GateResult['gate'], why: string): GateResult {
  return { gate, passed: true, measured: 0, required: 0, detail: `not run: ${why}` };
}

/** One line per failed gate, for the job's error and the log. */
export function describeFailedGates(gates: readonly GateResult[]): string {
  return gates
    .filter((gate) => !gate.passed)
    .map((gate) => `${gate.gate} (${gate.detail ?? `measured ${gate.measured}, required ${gate.required}`})`)
    .join('; ');
}

function formatShare(share: number): string {
  return `${(share * 100).toFixed(share < 0.01 && share > 0 ? 2 : 1)}%`;
}
