import { detectImageFormat } from './format';

describe(detectImageFormat.name, () => {
  it('recognises JPEG, PNG, WebP and GIF from their magic bytes', () => {
    expect(detectImageFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toBe('jpeg');
    expect(detectImageFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('png');
    expect(detectImageFormat(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('webp');
    expect(detectImageFormat(Buffer.from('GIF89a\x01\x00', 'latin1'))).toBe('gif');
    expect(detectImageFormat(Buffer.from('GIF87a\x01\x00', 'latin1'))).toBe('gif');
  });

  it('refuses everything else, whatever the file is called', () => {
    expect(detectImageFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(detectImageFormat(Buffer.from('<?xml version="1.0"?><svg/>'))).toBeUndefined();
    expect(detectImageFormat(Buffer.from('hello, I am a .jpg'))).toBeUndefined();
    expect(detectImageFormat(Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt ', 'latin1'))).toBeUndefined();
    expect(detectImageFormat(Buffer.from([0xff, 0xd8]))).toBeUndefined();
    expect(detectImageFormat(new Uint8Array(0))).toBeUndefined();
  });
});
