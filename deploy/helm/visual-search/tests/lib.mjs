// Shared by the chart tests: repository paths, the image contents a Dockerfile
// produces (through .dockerignore), and rendering the chart with Helm.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const CHART_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(CHART_DIR, '../../..');
export const read = (file) => readFileSync(path.join(REPO_ROOT, file), 'utf8');

let helmBinary;
/** Helm from tools/setup/helm.sh (built once, cached), or $HELM. */
export function helm(args) {
  helmBinary ??= process.env.HELM ?? execFileSync('bash', [path.join(REPO_ROOT, 'tools/setup/helm.sh')], { encoding: 'utf8' }).trim();
  return spawnSync(helmBinary, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/**
 * A copy of the chart without the `dependencies:` block: Helm refuses to
 * render a chart whose listed dependency (the official Qdrant chart, disabled
 * by default) is not vendored under charts/, and that tarball cannot be
 * downloaded here. Returns {dir, workDir, cleanup}.
 */
export function chartCopyWithoutDependencies() {
  const workDir = mkdtempSync(path.join(tmpdir(), 'vsearch-chart-'));
  const dir = path.join(workDir, 'visual-search');
  cpSync(CHART_DIR, dir, { recursive: true, filter: (source) => !source.startsWith(path.join(CHART_DIR, 'tests')) });
  const chartYaml = readFileSync(path.join(dir, 'Chart.yaml'), 'utf8');
  const withoutDependencies = chartYaml.replace(/^dependencies:[\s\S]*$/m, '');
  assert.notEqual(withoutDependencies, chartYaml, 'Chart.yaml has a dependencies block to strip');
  writeFileSync(path.join(dir, 'Chart.yaml'), withoutDependencies);
  return { dir, workDir, cleanup: () => rmSync(workDir, { recursive: true, force: true }) };
}

/** `helm template rel <chart> --namespace shop ...args`, parsed into objects; fails the test when Helm fails. */
export function renderChart(chartDir, args) {
  const result = helm(['template', 'rel', chartDir, '--namespace', 'shop', ...args]);
  assert.equal(result.status, 0, `helm template ${args.join(' ')} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((doc) => {
      assert.equal(doc.errors.length, 0, `invalid YAML rendered: ${doc.errors.join('; ')}`);
      return doc.toJS();
    })
    .filter((object) => object !== null);
}

/** .dockerignore as Docker reads it: the last matching pattern wins, and a pattern matching a parent directory matches its files. */
export function dockerignore(text) {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = path.posix.normalize(line.replace(/^!/, '')).replace(/\/$/, '');
      const source = pattern
        .split('/')
        .map((segment) =>
          segment === '**'
            ? '\u0000'
            : segment
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\u0000\//g, '(?:.*/)?')
        .replace(/\/\u0000/g, '(?:/.*)?')
        .replace(/\u0000/g, '.*');
      return { negated, regex: new RegExp(`^${source}$`) };
    });
  return (file) => {
    const parents = file.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (parents.some((p) => rule.regex.test(p))) excluded = !rule.negated;
    return excluded;
  };
}

export const isIgnored = dockerignore(read('.dockerignore'));

export function walk(dir) {
  const full = path.join(REPO_ROOT, dir);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return [dir];
  return readdirSync(full).flatMap((name) => (name === 'node_modules' ? [] : walk(path.posix.join(dir, name))));
}

/**
 * What the runtime stage of a Dockerfile copies from the context, as [repository path, path in the image
 * relative to its WORKDIR] pairs, with COPY's rules: a directory's contents go under the destination, a file
 * goes to the destination path (or into it when it ends with "/").
 */
export function imageCopies(dockerfile) {
  const text = read(dockerfile).replace(/\\\n/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const copies = [];
  for (const [, args] of runtime.matchAll(/^COPY\s+(.+)$/gm)) {
    const parts = args.split(/\s+/).filter(Boolean);
    if (parts.some((p) => p.startsWith('--from'))) continue;
    const operands = parts.filter((p) => !p.startsWith('--'));
    const destination = operands.at(-1);
    const into = destination.endsWith('/') || operands.length > 2;
    for (const source of operands.slice(0, -1)) {
      const root = path.posix.normalize(source);
      const isDirectory = existsSync(path.join(REPO_ROOT, root)) && statSync(path.join(REPO_ROOT, root)).isDirectory();
      for (const file of walk(root)) {
        if (isIgnored(file)) continue;
        const target = isDirectory
          ? path.posix.join(destination, path.posix.relative(root, file))
          : into
            ? path.posix.join(destination, path.posix.basename(file))
            : destination;
        copies.push([file, path.posix.normalize(target)]);
      }
    }
  }
  return copies;
}

/** Repository paths the runtime stage of a Dockerfile copies from the context (not from other stages). */
export function imageFiles(dockerfile) {
  const text = read(dockerfile).replace(/\\\n/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const files = new Set();
  for (const [, args] of runtime.matchAll(/^COPY\s+(.+)$/gm)) {
    const parts = args.split(/\s+/).filter(Boolean);
    if (parts.some((p) => p.startsWith('--from'))) continue;
    const sources = parts.filter((p) => !p.startsWith('--')).slice(0, -1);
    for (const source of sources) for (const file of walk(path.posix.normalize(source))) if (!isIgnored(file)) files.add(file);
  }
  return files;
}
