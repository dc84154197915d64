import { imagePointId, recordPointId, uuidV5 } from './point-ids';

describe(uuidV5.name, () => {
  it('derives RFC 4122 version 5 UUIDs (values checked with Python uuid.uuid5)', () => {
    expect(recordPointId('p1')).toBe('183aa85c-eb05-5746-9f4e-da1362ab62cf');
    expect(imagePointId('p1', 'front')).toBe('e8220480-b903-53ad-80b9-b0fd5fa216cc');
  });

  it('keeps record, image and product ids apart', () => {
    expect(new Set([recordPointId('p1'), imagePointId('p1', 'a'), imagePointId('p1', 'b'), imagePointId('p1a', ''), recordPointId('p2')]).size).toBe(5);
  });
});
