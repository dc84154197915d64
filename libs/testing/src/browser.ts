/** The Chromium the web page's browser tests drive (playwright-core over the system's /usr/bin/chromium), headless and quiet. */
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** axe-core's rules about images having a text alternative (WCAG 2.1 success criterion 1.1.1). */
export const IMAGE_ALT_RULES = ['image-alt', 'role-img-alt', 'svg-img-alt', 'input-image-alt', 'image-redundant-alt'] as const;

/** Runs axe-core's image rules on the page: the violations (rule id and offending elements) and the ids of the rules that passed. */
export async function checkImageAlternatives(page: Page): Promise<{ violations: string[]; passed: string[] }> {
  await page.addScriptTag({ content: axe.source });
  const results = await page.evaluate(
    (rules) => (window as unknown as { axe: typeof axe }).axe.run(document, { runOnly: { type: 'rule', values: rules } }),
    [...IMAGE_ALT_RULES],
  );
  return {
    violations: results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.html).join(', ')}`),
    passed: results.passes.map((rule) => rule.id),
  };
}
