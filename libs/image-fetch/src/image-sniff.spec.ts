import sharp from 'sharp';
import { sniffImageDimensions, sniffImageType } from './image-sniff';

describe('sniffImageType', () => {
  it.each([
    ['jpeg', 'image/jpeg'],
    ['png', 'image/png'],
    ['webp', 'image/webp'],
    ['gif', 'image/gif'],
  ] as const)('recognises %s by its bytes and reads the dimensions', async (format, type) => {
    const bytes = await sharp({ create: { width: 37, height: 21, channels: 3, background: '#c03' } })
      .toFormat(format)
      .toBuffer();
    expect(sniffImageType(bytes)).toBe(type);
    expect(sniffImageDimensions(bytes, type)).toEqual({ width: 37, height: 21 });
  });

  it('recognises nothing in HTML or an empty body', () => {
    expect(sniffImageType(Buffer.from('<html><body>hi</body></html>'))).toBeNull();
    expect(sniffImageType(Buffer.alloc(0))).toBeNull();
  });
});
