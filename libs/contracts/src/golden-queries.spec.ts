import { goldenQueriesToJsonl, MAX_GOLDEN_QUERIES_BYTES, parseGoldenQueriesJsonl } from './golden-queries';

describe(parseGoldenQueriesJsonl.name, () => {
  it('reads text and photo queries, skipping blank lines, and writes them back as the same JSONL', () => {
    const text =
      '{"query":"red boots","expectedProductIds":["sku-1","sku-2"]}\n\n{"imageUrl":"https://img.example.com/a.jpg","expectedProductIds":["sku-3"]}\n';
    const parsed = parseGoldenQueriesJsonl(text);
    expect(parsed).toEqual({
      ok: true,
      queries: [
        { query: 'red boots', expectedProductIds: ['sku-1', 'sku-2'] },
        { imageUrl: 'https://img.example.com/a.jpg', expectedProductIds: ['sku-3'] },
      ],
    });
    expect(parsed.ok && goldenQueriesToJsonl(parsed.queries)).toBe(text.replace('\n\n', '\n'));
  });

  it('names the line and the problem of every bad line', () => {
    const parsed = parseGoldenQueriesJsonl(
      [
        '{"query":"ok","expectedProductIds":["a"]}',
        '{"imageUrl":"ftp://x/a.jpg","expectedProductIds":["a"]}',
        '{"query":"x","expectedProductIds":[]}',
        'not json',
        '{"query":"x","expectedProductIds":["a"],"extra":1}',
      ].join('\n'),
    );
    expect(parsed.ok).toBe(false);
    const errors = parsed.ok ? [] : parsed.errors;
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/^line 2: imageUrl: must be an http\(s\) URL/);
    expect(errors[1]).toMatch(/^line 3: expectedProductIds: must name at least one product/);
    expect(errors[2]).toMatch(/^line 4: not valid JSON/);
    expect(errors[3]).toMatch(/^line 5: .*extra/);
  });

  it('refuses an empty file and one over the size limit', () => {
    expect(parseGoldenQueriesJsonl('\n\n')).toEqual({ ok: false, errors: ['the file holds no queries'] });
    const big = parseGoldenQueriesJsonl('x'.repeat(MAX_GOLDEN_QUERIES_BYTES + 1));
    expect(!big.ok && big.errors[0]).toMatch(/more than the 524288 allowed/);
  });
});
