/** real: LiveModelService. fake: the search index port (testing/fake-ports) and the clock. */
import { DependencyUnavailableError } from '@vsearch/contracts';
import { FakeProductSearchIndex } from '../testing/fake-ports';
import { LiveModelService } from './live-model.service';
import { MODEL_INFO_TTL_MS } from './model-settings.service';

const context = { requestId: 'r-1' };

describe(LiveModelService.name, () => {
  function setUp() {
    const index = new FakeProductSearchIndex();
    index.liveModel = 'clip@1';
    let now = 0;
    const service = new LiveModelService(index, () => now);
    return { index, service, advance: (ms: number) => (now += ms) };
  }

  it('looks the live model up once per TTL, and concurrent callers share the look-up', async () => {
    const { index, service, advance } = setUp();
    expect(await Promise.all([service.current(context), service.current(context)])).toEqual(['clip@1', 'clip@1']);
    expect(index.liveModelCalls).toBe(1);
    index.liveModel = 'clip@2';
    advance(MODEL_INFO_TTL_MS - 1);
    expect(await service.current(context)).toBe('clip@1');
    advance(1);
    expect(await service.current(context)).toBe('clip@2');
    expect(index.liveModelCalls).toBe(2);
  });

  it("looks it up again at once after forget() (search refused a query as another model's)", async () => {
    const { index, service } = setUp();
    await service.current(context);
    index.liveModel = 'clip@2';
    service.forget();
    expect(await service.current(context)).toBe('clip@2');
  });

  it('does not cache a failed look-up', async () => {
    const { index, service } = setUp();
    index.down = true;
    await expect(service.current(context)).rejects.toBeInstanceOf(DependencyUnavailableError);
    index.down = false;
    expect(await service.current(context)).toBe('clip@1');
  });
});
