/** real: ClassifyService, LabelVectorService, ModelSettingsService, libs/zero-shot's softmax. fake: every port (testing/). */
import { InvalidRequestError, NotFoundError } from '@vsearch/contracts';
import { ImageInputError } from '../ports';
import { fakeJpeg, fakePorts } from '../testing/fake-ports';
import { ClassifyService } from './classify.service';
import { LabelVectorService } from './label-vectors.service';
import { ModelSettingsService } from './model-settings.service';

const context = { requestId: 'req-1' };

function build() {
  const ports = fakePorts();
  const modelSettings = new ModelSettingsService(ports.embedder);
  const labelVectors = new LabelVectorService(ports.labelEmbedder, modelSettings);
  const service = new ClassifyService(ports.embedder, ports.tagging, ports.remoteImages, ports.preprocessor, labelVectors, modelSettings, {
    maxUploadBytes: 1000,
  });
  // The fake embedder embeds every photo to [0, 1, 0, 0].
  ports.labelEmbedder.vectors.set('a photo of a striped product', Float32Array.from([0, 1, 0, 0]));
  ports.labelEmbedder.vectors.set('a photo of a dotted product', Float32Array.from([0.6, 0.8, 0, 0]));
  ports.labelEmbedder.vectors.set('a photo of a plain product', Float32Array.from([1, 0, 0, 0]));
  return { ports, service };
}

describe(ClassifyService.name, () => {
  it("ranks labels for an uploaded photo by the softmax over the model's logit scale of their cosines", async () => {
    const { ports, service } = build();
    const answer = await service.classify({ kind: 'upload', bytes: fakeJpeg() }, { labels: ['plain', 'dotted', 'striped'] }, context);
    // cosines 1, 0.8, 0 at logit scale 100: exp(0), exp(-20), exp(-100) normalised.
    const weights = [1, Math.exp(-20), Math.exp(-100)];
    const sum = weights.reduce((a, b) => a + b);
    expect(answer.labels.map((entry) => entry.label)).toEqual(['striped', 'dotted', 'plain']);
    answer.labels.forEach((entry, i) => expect(entry.probability).toBeCloseTo(weights[i] / sum, 6));
    expect(answer.model).toBe('fake-clip@1');
    expect(ports.embedder.pixelCalls).toHaveLength(1);
  });

  it('prompts ad-hoc labels with the template given', async () => {
    const { ports, service } = build();
    await service.classify({ kind: 'upload', bytes: fakeJpeg() }, { labels: ['red', 'blue'], template: 'a {label} shoe' }, context);
    expect(ports.labelEmbedder.embedCalls.flat()).toEqual(['a red shoe', 'a blue shoe']);
  });

  it("takes an attribute's labels and prompts from the stored taxonomy", async () => {
    const { ports, service } = build();
    ports.tagging.taxonomy = {
      version: 3,
      createdAt: '2026-01-01T00:00:00.000Z',
      attributes: [{ name: 'pattern', mode: 'single', threshold: 0.5, labels: [{ label: 'striped' }, { label: 'plain' }] }],
    };
    const answer = await service.classify({ kind: 'upload', bytes: fakeJpeg() }, { attribute: 'pattern' }, context);
    expect(answer).toMatchObject({ attribute: 'pattern', labels: [{ label: 'striped' }, { label: 'plain' }] });
  });

  it('refuses an attribute the stored taxonomy does not have, naming the ones it has', async () => {
    const { service } = build();
    await expect(service.classify({ kind: 'upload', bytes: fakeJpeg() }, { attribute: 'fabric' }, context)).rejects.toThrow(
      new InvalidRequestError('unknown_attribute', 'attribute: "fabric" is not in the stored taxonomy (attributes: none: no taxonomy is stored)'),
    );
  });

  it('classifies a stored product through the search service, without embedding a photo', async () => {
    const { ports, service } = build();
    ports.tagging.products.set('p1', { product: {} as never, images: [], failedImages: [] });
    const answer = await service.classify({ kind: 'product', productId: 'p1' }, { labels: ['striped', 'plain'] }, context);
    expect(answer.labels).toHaveLength(2);
    expect(ports.tagging.classifications[0]).toMatchObject({ productId: 'p1', labels: { modelId: 'fake-clip@1', logitScale: 100 } });
    expect(ports.embedder.pixelCalls).toHaveLength(0);
    await expect(service.classify({ kind: 'product', productId: 'nope' }, { labels: ['a', 'b'] }, context)).rejects.toThrow(NotFoundError);
  });

  it('refuses a photo that is too large or not an image before embedding any label', async () => {
    const { ports, service } = build();
    await expect(service.classify({ kind: 'upload', bytes: fakeJpeg(2000) }, { labels: ['a', 'b'] }, context)).rejects.toThrow(ImageInputError);
    await expect(service.classify({ kind: 'upload', bytes: Buffer.from('not an image') }, { labels: ['a', 'b'] }, context)).rejects.toThrow(
      /not a JPEG, PNG or WebP/,
    );
    expect(ports.labelEmbedder.embedCalls).toEqual([]);
  });
});
