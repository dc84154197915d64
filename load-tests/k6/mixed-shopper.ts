/** k6: the mixed-shopper scenario, defined in load-tests/scenarios/mixed-shopper.json. Run: k6 run load-tests/k6/mixed-shopper.ts */
import { buildOptions, type HttpRequestDefinition, type ScenarioDefinition } from '../lib/profiles.ts';
import { setupShopper, shopperIteration } from './http-shopper.ts';

const definition = JSON.parse(open('../scenarios/mixed-shopper.json')) as ScenarioDefinition;
// Photos are read once in the init context; PHOTOS lists files (comma-separated) for SREs to supply.
const photos: ArrayBuffer[] = (definition.requests as HttpRequestDefinition[]).some((r) => r.kind === 'photo-search')
  ? (__ENV.PHOTOS || '')
      .split(',')
      .filter(Boolean)
      .map((file) => open(file, 'b'))
  : [];

export const options = buildOptions(definition, 'mixedShopper');

export function setup() {
  if (photos.length === 0 && (definition.requests as HttpRequestDefinition[]).some((r) => r.kind === 'photo-search')) {
    throw new Error('set PHOTOS to a comma-separated list of JPEG files to upload');
  }
  return setupShopper(definition);
}

export function mixedShopper(data: { productIds: string[] }) {
  shopperIteration(definition, photos, data);
}
