// Unit tier: real: ShopperPresence; fake: nothing (times are plain numbers).
import { ShopperPresence } from './shopper-presence';

describe(ShopperPresence.name, () => {
  it('says shoppers are about within the window after an arrival, and not after it', () => {
    const shoppers = new ShopperPresence(1000);
    expect(shoppers.about(0)).toBe(false);
    shoppers.noteArrival(5000);
    expect(shoppers.about(6000)).toBe(true);
    expect(shoppers.about(6001)).toBe(false);
  });

  it('keeps the latest arrival when arrivals are noted out of order (two towers)', () => {
    const shoppers = new ShopperPresence(100);
    shoppers.noteArrival(500);
    shoppers.noteArrival(400);
    expect(shoppers.about(590)).toBe(true);
  });

  it('refuses a negative window, naming it', () => {
    expect(() => new ShopperPresence(-1)).toThrow('the shopper window must not be negative, got -1');
  });
});
