import { withSearchMode } from './run';
import { loadScenario } from './scenario';

describe(withSearchMode.name, () => {
  it("adds the mode to every text search's query strings and leaves other requests as they are", () => {
    const original = loadScenario('mixed-shopper');
    const scenario = withSearchMode(original, 'vector');
    const [text, ...others] = scenario.requests;
    const [originalText] = original.requests;
    if (text.kind !== 'text-search' || originalText.kind !== 'text-search') throw new Error('mixed-shopper starts with text searches');
    expect(text.filters).toEqual((originalText.filters ?? [{}]).map((filter) => ({ ...filter, mode: 'vector' })));
    expect(text.filters).toEqual([{ mode: 'vector' }]); // mixed-shopper's text searches have no filters
    expect(others).toEqual(original.requests.slice(1));
  });

  it("keeps each of a text search's filters, with the mode added", () => {
    const [text] = withSearchMode(loadScenario('text-search'), 'keyword').requests;
    expect(text.kind === 'text-search' && text.filters).toEqual([
      { mode: 'keyword' },
      { inStock: 'true', mode: 'keyword' },
      { category: 't-shirt', mode: 'keyword' },
      { minPrice: '10', maxPrice: '80', mode: 'keyword' },
    ]);
  });

  it('refuses a scenario without text searches, or over gRPC, saying why', () => {
    expect(() => withSearchMode(loadScenario('photo-search'), 'vector')).toThrow('scenario photo-search has no text search');
    expect(() => withSearchMode(loadScenario('embedder-grpc'), 'vector')).toThrow('--search-mode applies to HTTP scenarios; embedder-grpc is grpc');
  });
});
