import { sizeThreadPoolForStack } from './thread-pool';

describe(sizeThreadPoolForStack.name, () => {
  it("gives the pool both services' decode slots plus 4 free threads", () => {
    const environment: NodeJS.ProcessEnv = {};
    sizeThreadPoolForStack(environment, 8);
    expect(environment.UV_THREADPOOL_SIZE).toBe(String(7 + 4 + 4));
    const configured: NodeJS.ProcessEnv = { IMAGE_DECODE_CONCURRENCY: '2', PREPROCESS_CONCURRENCY: '3' };
    sizeThreadPoolForStack(configured, 8);
    expect(configured.UV_THREADPOOL_SIZE).toBe('9');
  });

  it("keeps the operator's UV_THREADPOOL_SIZE", () => {
    const environment: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: '64' };
    sizeThreadPoolForStack(environment, 8);
    expect(environment.UV_THREADPOOL_SIZE).toBe('64');
  });
});
