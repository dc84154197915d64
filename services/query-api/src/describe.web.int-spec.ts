/**
 * The web page's alt text and "Ask about this product" box in a real Chromium, with an accessibility
 * check (axe-core's image rules, plus: every image's accessible name in Chromium's accessibility
 * tree is words, not empty and not a file name).
 * real: createQueryApiApp (services, Nest + Express on a local port, the page and its script),
 * Chromium via playwright-core, axe-core. fake: the ports (testing/): the search index answers the
 * hits below, the describer answers set questions.
 * The same page against the running stack with the real describer is describe.e2e-spec.ts's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { checkImageAlternatives, launchChromium } from '@vsearch/testing';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { fakeHit, fakeJpeg, fakePorts, type FakePorts } from './testing/fake-ports';
import { startHttpTestApp } from './testing/http-test-app';

const DESCRIPTION = 'a red striped t-shirt on a flat backdrop, shown upright';

let browser: Browser;
let app: NestExpressApplication;
let base: string;
let ports: FakePorts;
let imagesDir: string;

beforeAll(async () => {
  imagesDir = mkdtempSync(path.join(os.tmpdir(), 'vsearch-describe-web-'));
  writeFileSync(
    path.join(imagesDir, 'photo.png'),
    await sharp({ create: { width: 32, height: 32, channels: 3, background: '#d42a2a' } })
      .png()
      .toBuffer(),
  );
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(imagesDir, { recursive: true, force: true });
});

beforeEach(async () => {
  ports = fakePorts();
  const photoUrl = '/catalog-images/photo.png';
  ports.searchIndex.hits = [
    { ...fakeHit('p1', 0.42, { title: 'Northwind Red Striped T-Shirt Aurora' }), matchedImageUrl: photoUrl, matchedImageDescription: DESCRIPTION },
    { ...fakeHit('p2', 0.31, { title: 'Acme Blue Mug Basalt' }), matchedImageUrl: photoUrl },
  ];
  ports.tagging.products.set('p1', {
    product: ports.searchIndex.hits[0].product,
    images: [{ imageId: 'main', imageUrl: 'https://images.test/p1.jpg' }],
    failedImages: [],
  });
  ports.remoteImages.serve('https://images.test/p1.jpg', fakeJpeg());
  ports.describer.answers.set('is it striped?', 'yes');
  ({ app, base } = await startHttpTestApp(ports, { CATALOG_IMAGES_DIR: imagesDir }));
});

afterEach(async () => app.close());

async function resultsPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/?q=shirt`);
  await page.locator('[data-testid=result]').nth(1).waitFor();
  await page.waitForFunction(() => Array.from(document.images).every((image) => image.complete));
  return page;
}

describe('alt text and questions in the web page (Chromium)', () => {
  it("uses each image's stored description as its alt text, and the title where there is none", async () => {
    const page = await resultsPage();
    const alts = await page.locator('[data-testid=result] .thumb img').evaluateAll((images) => images.map((image) => image.getAttribute('alt')));
    expect(alts).toEqual([DESCRIPTION, 'Acme Blue Mug Basalt']);
    await page.close();
  });

  it('answers a question typed in "Ask about this product", asking about that product', async () => {
    const page = await resultsPage();
    const box = page.locator('[data-testid=result]').first().locator('[data-testid=ask]');
    await box.locator('summary').click();
    await box.getByLabel('Your question').fill('is it striped?');
    await box.getByRole('button', { name: 'Ask' }).click();
    await box.locator('.answer:not(:empty)', { hasNotText: 'Looking at the photo' }).waitFor();
    expect(await box.locator('.answer').textContent()).toBe('yes');
    expect(ports.describer.askCalls.map((call) => call.question)).toEqual(['is it striped?']);
    await page.close();
  });

  it('shows the error when the answer fails', async () => {
    const page = await resultsPage();
    ports.describer.down = true;
    const box = page.locator('[data-testid=result]').first().locator('[data-testid=ask]');
    await box.locator('summary').click();
    await box.getByLabel('Your question').fill('is it striped?');
    await box.getByRole('button', { name: 'Ask' }).click();
    await box.locator('.answer:not(:empty)', { hasNotText: 'Looking at the photo' }).waitFor();
    expect(await box.locator('.answer').textContent()).toMatch(/the describer service is unavailable right now/);
    expect(await box.locator('.answer').getAttribute('class')).toMatch(/error-text/);
    await page.close();
  });

  it("passes axe-core's image rules, and every image in the accessibility tree has a name in words", async () => {
    const page = await resultsPage();
    const axe = await checkImageAlternatives(page);
    expect(axe.violations).toEqual([]);
    expect(axe.passed).toContain('image-alt');

    // Chromium's own accessibility tree: what a screen reader is told about each image.
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: Array<{ ignored?: boolean; role?: { value?: string }; name?: { value?: string } }>;
    };
    const images = nodes.filter((node) => !node.ignored && ['image', 'img'].includes(String(node.role?.value)));
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) {
      const name = String(image.name?.value ?? '');
      expect(name).toMatch(/\p{L}{2,}.*\s.*\p{L}{2,}/u); // at least two words
      expect(name).not.toMatch(/\.(png|jpe?g|webp|gif)$|^https?:|\/catalog-images\//i);
    }
    await page.close();
  });
});
