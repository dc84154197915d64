/** k6: the photo-search scenario, defined in load-tests/scenarios/photo-search.json. Run: k6 run load-tests/k6/photo-search.ts */
import { buildOptions, type HttpRequestDefinition, type ScenarioDefinition } from '../lib/profiles.ts';
import { setupShopper, shopperIteration } from './http-shopper.ts';

const definition = JSON.parse(open('../scenarios/photo-search.json')) as ScenarioDefinition;
// Photos are read once in the init context; PHOTOS lists files (comma-separated) for SREs to supply.
const photos: ArrayBuffer[] = (definition.requests as HttpRequestDefinition[]).some((r) => r.kind === 'photo-search')
  ? (__ENV.PHOTOS || '')
      .split(',')
      .filter(Boolean)
      .map((file) => open(file, 'b'))
  : [];

export const options = buildOptions(definition, 'photoSearch');

export function setup() {
  if (photos.length === 0 && (definition.requests as HttpRequestDefinition[]).some((r) => r.kind === 'photo-search')) {
    throw new Error('set PHOTOS to a comma-separated list of JPEG files to upload');
  }
  return setupShopper(definition);
}

export function photoSearch(data: { productIds: string[] }) {
  shopperIteration(definition, photos, data);
}
