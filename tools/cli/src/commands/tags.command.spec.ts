/** real: readTaxonomyFile on files in a temporary directory, the contracts' validation, the yaml parser. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT_USAGE, UsageError } from '../cli/errors';
import { readTaxonomyFile } from './tags.command';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vsearch-tags-'));
function file(name: string, text: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
}

describe('vsearch tags: reading a taxonomy file', () => {
  it('reads YAML and JSON into the same validated taxonomy, defaults filled in', async () => {
    const yaml = file('t.yaml', 'attributes:\n  - name: pattern\n    labels:\n      - label: striped\n      - label: plain\n');
    const json = file('t.json', JSON.stringify({ attributes: [{ name: 'pattern', labels: [{ label: 'striped' }, { label: 'plain' }] }] }));
    const expected = { attributes: [{ name: 'pattern', mode: 'single', threshold: 0.5, labels: [{ label: 'striped' }, { label: 'plain' }] }] };
    await expect(readTaxonomyFile(yaml)).resolves.toEqual(expected);
    await expect(readTaxonomyFile(json)).resolves.toEqual(expected);
  });

  it.each([
    ['a file of another kind', 't.txt', 'attributes: []', /must end in .yaml, .yml or .json/],
    ['YAML that does not parse', 'bad.yaml', 'attributes: [\n  - name', /bad.yaml is not valid YAML \(line \d+\)/],
    ['JSON that does not parse', 'bad.json', '{"attributes":', /bad.json is not valid JSON/],
    [
      'a duplicate label',
      'dup.yaml',
      'attributes:\n  - name: pattern\n    labels: [{label: striped}, {label: Striped}]\n',
      /attribute "pattern" label "Striped": is listed twice/,
    ],
    [
      'a threshold outside 0-1',
      'th.yaml',
      'attributes:\n  - name: pattern\n    threshold: 2\n    labels: [{label: a}, {label: b}]\n',
      /threshold: must be between 0 and 1/,
    ],
  ])('refuses %s as a usage error (exit 2) naming the problem', async (_what, name, text, message) => {
    const refused = readTaxonomyFile(file(name, text));
    await expect(refused).rejects.toThrow(message);
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toMatchObject({ exitCode: EXIT_USAGE });
  });

  it('names a file that cannot be read', async () => {
    await expect(readTaxonomyFile(path.join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read .*missing.yaml: ENOENT/);
  });
});
