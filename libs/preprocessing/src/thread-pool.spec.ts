import { sizeThreadPoolForDecoding, threadPoolSizeFor } from './thread-pool';

describe(sizeThreadPoolForDecoding.name, () => {
  it('sizes the pool to the decode slots plus 4 free threads', () => {
    const environment: NodeJS.ProcessEnv = {};
    expect(sizeThreadPoolForDecoding(3, environment)).toEqual({ size: 7, chosenBy: 'decode-slots' });
    expect(environment.UV_THREADPOOL_SIZE).toBe('7');
    expect(threadPoolSizeFor(5000)).toBe(1024);
  });

  it("keeps the operator's UV_THREADPOOL_SIZE", () => {
    const environment: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: '32' };
    expect(sizeThreadPoolForDecoding(3, environment)).toEqual({ size: 32, chosenBy: 'environment' });
    expect(environment.UV_THREADPOOL_SIZE).toBe('32');
  });
});
