import { resizeGeometry } from './preprocess';

describe(resizeGeometry.name, () => {
  it('scales the shortest side to the size and centres the crop', () => {
    expect(resizeGeometry(640, 480, 224)).toEqual({ width: 298, height: 224, left: 37, top: 0 });
    expect(resizeGeometry(480, 640, 224)).toEqual({ width: 224, height: 298, left: 0, top: 37 });
    expect(resizeGeometry(500, 500, 224)).toEqual({ width: 224, height: 224, left: 0, top: 0 });
  });

  it('truncates the long side like torchvision and Hugging Face CLIP', () => {
    // 224 * 333 / 200 = 372.96 → 372
    expect(resizeGeometry(333, 200, 224)).toEqual({ width: 372, height: 224, left: 74, top: 0 });
  });

  it('enlarges images smaller than the size', () => {
    expect(resizeGeometry(50, 40, 64)).toEqual({ width: 80, height: 64, left: 8, top: 0 });
  });
});
