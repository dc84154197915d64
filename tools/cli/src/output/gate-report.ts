/** A generation's gate report as text: one line per gate with its figures. */
import type { GateReport } from '@vsearch/contracts';

/** One line per gate: pass or FAIL, the figures, and the detail. */
export function gateLines(report: GateReport): string {
  return report.gates
    .map(
      (gate) =>
        `  ${gate.passed ? 'pass' : 'FAIL'} ${gate.gate}: ${formatFigure(gate.measured)} (required ${formatFigure(gate.required)}${gate.live !== undefined ? `, live ${formatFigure(gate.live)}` : ''})${gate.detail ? ` — ${gate.detail}` : ''}`,
    )
    .join('\n');
}

function formatFigure(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
