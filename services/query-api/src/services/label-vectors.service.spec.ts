/** real: LabelVectorService, ModelSettingsService, libs/zero-shot. fake: the embedder ports (testing/). */
import { InvalidRequestError } from '@vsearch/contracts';
import { FakeQueryEmbedder } from '../testing/fake-ports';
import { FakeLabelTextEmbedder } from '../testing/fake-tagging';
import { LABEL_TEXTS_PER_CALL, LabelVectorService } from './label-vectors.service';
import { ModelSettingsService } from './model-settings.service';

const context = { requestId: 'req-1' };

function build() {
  const embedder = new FakeLabelTextEmbedder();
  const service = new LabelVectorService(embedder, new ModelSettingsService(new FakeQueryEmbedder()));
  return { embedder, service };
}

describe(LabelVectorService.name, () => {
  it("averages a label's prompts into one unit vector (a prompt ensemble) and names the model", async () => {
    const { embedder, service } = build();
    embedder.vectors.set('a striped shirt', Float32Array.from([1, 0, 0, 0]));
    embedder.vectors.set('a shirt with stripes', Float32Array.from([0, 1, 0, 0]));
    const result = await service.forTaxonomy(
      {
        attributes: [
          {
            name: 'pattern',
            mode: 'single',
            threshold: 0.5,
            labels: [{ label: 'striped', prompts: ['a striped shirt', 'a shirt with stripes'] }, { label: 'plain' }],
          },
        ],
      },
      context,
    );
    expect(result.modelId).toBe('fake-clip@1');
    expect(result.logitScale).toBe(100);
    expect(result.labelVectors.map(({ attribute, label }) => `${attribute}/${label}`)).toEqual(['pattern/striped', 'pattern/plain']);
    expect(Array.from(result.labelVectors[0].vector)).toEqual([Math.SQRT1_2, Math.SQRT1_2, 0, 0].map((value) => Math.fround(value)));
    expect(embedder.embedCalls.flat()).toEqual(['a striped shirt', 'a shirt with stripes', 'a photo of a plain product']);
  });

  it('refuses labels with words outside the vocabulary, naming every such label and its words, before embedding anything', async () => {
    const { embedder, service } = build();
    embedder.unknownWords = new Set(['paisley', 'houndstooth']);
    const refused = service.forTaxonomy(
      {
        attributes: [
          {
            name: 'pattern',
            mode: 'single',
            threshold: 0.5,
            labels: [{ label: 'paisley' }, { label: 'striped' }, { label: 'check', prompts: ['a houndstooth check'] }],
          },
        ],
      },
      context,
    );
    await expect(refused).rejects.toThrow(InvalidRequestError);
    await expect(refused).rejects.toThrow(/attribute "pattern" label "paisley": "paisley"; attribute "pattern" label "check": "houndstooth"/);
    expect(embedder.embedCalls).toEqual([]);
  });

  it('splits many prompts into calls the embedder accepts and keeps every label with its own prompts', async () => {
    const { embedder, service } = build();
    const labels = Array.from({ length: LABEL_TEXTS_PER_CALL + 10 }, (_, i) => `label${i}`);
    const result = await service.forLabels(labels, { name: 'any', template: 'a {label} thing' }, context);
    expect(embedder.embedCalls.map((call) => call.length)).toEqual([LABEL_TEXTS_PER_CALL, 10]);
    expect(result.labelVectors.at(-1)!.label).toBe(`label${LABEL_TEXTS_PER_CALL + 9}`);
    expect(embedder.embedCalls[1].at(-1)).toBe(`a label${LABEL_TEXTS_PER_CALL + 9} thing`);
  });
});
