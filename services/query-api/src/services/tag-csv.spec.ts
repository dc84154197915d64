import { csvField, TAG_CSV_HEADER, tagRowsToCsv } from './tag-csv';

describe('tag CSV export', () => {
  it('writes one CRLF-ended row per tag with four-decimal confidences', () => {
    const csv = tagRowsToCsv([
      { productId: 'p1', attribute: 'pattern', label: 'striped', confidence: 0.87654, taxonomyVersion: 2 },
      { productId: 'p2', attribute: 'colour', label: 'red', confidence: 1, taxonomyVersion: 2 },
    ]);
    expect(TAG_CSV_HEADER + csv).toBe('product_id,attribute,label,confidence\r\np1,pattern,striped,0.8765\r\np2,colour,red,1.0000\r\n');
  });

  it('quotes fields holding commas, quotes or line breaks, doubling the quotes', () => {
    expect(csvField('navy, dark')).toBe('"navy, dark"');
    expect(csvField('the "classic" cut')).toBe('"the ""classic"" cut"');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('plain')).toBe('plain');
  });

  it('defuses fields a spreadsheet would run as formulas', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-sale')).toBe("'-sale");
    expect(csvField('@me')).toBe("'@me");
  });
});
