/**
 * `vsearch generations`: the index generations behind the `products` alias (admin API): which one
 * is live, which are retained for a rollback, which failed their gates, with model, size, swap
 * times and each gate's figures.
 */
import type { Command } from 'commander';
import type { GateReport, GenerationInfo } from '@vsearch/contracts';
import { adminApiClient, withAdminApiOptions, type AdminApiOptions } from '../cli/admin-api';
import { gateLines } from '../output/gate-report';
import { renderTable } from '../output/table';

export function registerCommand(program: Command): void {
  withAdminApiOptions(
    program
      .command('generations')
      .description('list the index generations: live, being filled, retained for a rollback (vsearch rollback), rejected by their gates (admin API)'),
  ).action(async (options: AdminApiOptions) => {
    const generations = await adminApiClient(options).listGenerations();
    if (options.json) {
      process.stdout.write(`${JSON.stringify(generations, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${renderGenerations(generations)}\n`);
  });
}

export function renderGenerations(generations: readonly GenerationInfo[]): string {
  if (generations.length === 0) return 'no generations';
  const table = renderTable<GenerationInfo>(
    [
      { header: 'generation', value: (g) => g.name },
      { header: 'status', value: (g) => `${g.status}${g.damage ? ' (damaged)' : ''}` },
      { header: 'model', value: (g) => g.modelId, maxWidth: 40 },
      { header: 'products', value: (g) => String(g.productCount), align: 'right' },
      { header: 'vectors', value: (g) => String(g.pointCount), align: 'right' },
      { header: 'written', value: (g) => (g.receivesWrites ? 'yes' : 'no') },
      { header: 'created', value: (g) => g.createdAt ?? '' },
      { header: 'swapped in', value: (g) => g.swappedInAt ?? '' },
      { header: 'swapped out', value: (g) => g.swappedOutAt ?? '' },
      { header: 'dropped after', value: (g) => g.dropAfter ?? '' },
      { header: 'gates', value: (g) => gateSummary(g.gates) },
    ],
    [...generations],
  );
  const reports = generations
    .filter((generation) => generation.gates)
    .map((generation) => `\n${generation.name} gates (${generation.gates!.checkedAt}):\n${gateLines(generation.gates!)}`);
  return table + reports.join('');
}

function gateSummary(report: GateReport | undefined): string {
  if (!report) return '';
  if (report.passed) return 'passed';
  return report.forcedReason ? `failed, forced: ${report.forcedReason}` : 'failed';
}
