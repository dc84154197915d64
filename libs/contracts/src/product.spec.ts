import { PRICE_BANDS, priceBandIndexOf, priceBandOf } from './product';

describe(priceBandOf.name, () => {
  it.each([
    [0, '0-25'],
    [24.99, '0-25'],
    [25, '25-50'],
    [49.5, '25-50'],
    [50, '50-100'],
    [199.99, '100-200'],
    [200, '200+'],
    [1e9, '200+'],
  ])('puts %p in band %p, at the position priceBandIndexOf gives', (amount, band) => {
    expect(priceBandOf(amount)).toBe(band);
    expect(PRICE_BANDS[priceBandIndexOf(amount)].value).toBe(band);
  });

  it('puts a price below every band, or not a number, in the first band', () => {
    expect(priceBandIndexOf(-1)).toBe(0);
    expect(priceBandIndexOf(Number.NaN)).toBe(0);
  });

  it('has bands that each end where the next begins, as priceBandIndexOf assumes', () => {
    PRICE_BANDS.slice(0, -1).forEach((band, i) => expect(band.max).toBe(PRICE_BANDS[i + 1].min));
    expect(PRICE_BANDS[PRICE_BANDS.length - 1].max).toBeUndefined();
  });
});
