import { renderGenerations } from './generations.command';

describe(renderGenerations.name, () => {
  it('shows each generation with its status, model, size and gate outcome, then the failed gates with their figures', () => {
    const text = renderGenerations([
      {
        name: 'products_v1',
        status: 'retained',
        modelId: 'clip@1',
        dimension: 4,
        productCount: 100,
        pointCount: 180,
        receivesWrites: true,
        swappedOutAt: '2026-12-01T10:00:00.000Z',
        dropAfter: '2026-12-02T10:00:00.000Z',
      },
      {
        name: 'products_v2',
        status: 'live',
        modelId: 'clip@1',
        dimension: 4,
        productCount: 99,
        pointCount: 170,
        receivesWrites: true,
        gates: {
          passed: false,
          forcedReason: 'brand removed',
          checkedAt: '2026-12-01T10:00:00.000Z',
          gates: [{ gate: 'product_count', passed: false, measured: 90, required: 98, live: 100, detail: 'lost 10' }],
        },
      },
    ]);
    expect(text).toMatch(/products_v1 +retained +clip@1 +100 +180 +yes/);
    expect(text).toContain('failed, forced: brand removed');
    expect(text).toContain('  FAIL product_count: 90 (required 98, live 100) — lost 10');
  });
});
