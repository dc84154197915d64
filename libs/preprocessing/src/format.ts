/** Image formats accepted for embedding, recognised from their magic bytes (never from a file name or a Content-Type). */
export type AcceptedImageFormat = 'jpeg' | 'png' | 'webp' | 'gif';

export function detectImageFormat(bytes: Uint8Array): AcceptedImageFormat | undefined {
  const starts = (signature: number[], at = 0) => bytes.length >= at + signature.length && signature.every((byte, i) => bytes[at + i] === byte);
  if (starts([0xff, 0xd8, 0xff])) return 'jpeg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  // RIFF....WEBP
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  // GIF87a / GIF89a
  if (starts([0x47, 0x49, 0x46, 0x38]) && (starts([0x37, 0x61], 4) || starts([0x39, 0x61], 4))) return 'gif';
  return undefined;
}
