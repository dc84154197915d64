/**
 * Test helpers of model tooling (imported by *.int-spec.ts elsewhere, never by production code): the
 * committed tiny random-weight CLIP fixture served by a local fake Hugging Face hub, to pull a second,
 * deliberately worse model in the real layout.
 */
export { FakeHub } from './pull/fake-hub.testing';
export { TINY_CLIP_FIXTURE_DIR, tinyClipHub } from './pull/tiny-clip-fixture.testing';
