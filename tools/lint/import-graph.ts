/**
 * The repository files a TypeScript entry point reaches through its imports, found statically: `@vsearch/*`
 * aliases resolve through tsconfig.base.json paths, relative specifiers through the file system, anything else
 * is a package and is not followed. Type-only imports count too, so the graph is what a reader must know, a
 * superset of what runs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface ImportGraph {
  /** Every reached file, relative to the repository root with `/` separators, mapped to the file that first imported it (null for an entry). */
  importerOf: ReadonlyMap<string, string | null>;
  /** `file: specifier` for each relative or alias import that names no file. */
  unresolved: readonly string[];
}

const RESOLVE_SUFFIXES = ['', '.ts', '.js', '.json', '/index.ts', '/index.js'];

function resolveFile(repoRoot: string, withoutSuffix: string): string | undefined {
  for (const suffix of RESOLVE_SUFFIXES) {
    const candidate = withoutSuffix + suffix;
    const absolute = path.join(repoRoot, candidate);
    if (existsSync(absolute) && statSync(absolute).isFile()) return candidate;
  }
  return undefined;
}

function readAliases(repoRoot: string): Map<string, string> {
  const config = ts.readConfigFile(path.join(repoRoot, 'tsconfig.base.json'), ts.sys.readFile);
  if (config.error) throw new Error(`tsconfig.base.json: ${ts.flattenDiagnosticMessageText(config.error.messageText, '\n')}`);
  const paths = (config.config.compilerOptions?.paths ?? {}) as Record<string, string[]>;
  return new Map(Object.entries(paths).map(([alias, [target]]) => [alias, target]));
}

/** Walks imports breadth-first from `entries` (paths relative to `repoRoot`). */
export function importGraph(repoRoot: string, entries: readonly string[]): ImportGraph {
  const aliases = readAliases(repoRoot);
  const importerOf = new Map<string, string | null>();
  const unresolved: string[] = [];
  const queue: string[] = [];
  for (const entry of entries) {
    if (!resolveFile(repoRoot, entry)) throw new Error(`entry point ${entry} does not exist under ${repoRoot}`);
    importerOf.set(entry, null);
    queue.push(entry);
  }
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (!/\.[jt]s$/.test(file)) continue;
    const { importedFiles } = ts.preProcessFile(readFileSync(path.join(repoRoot, file), 'utf8'), true, true);
    for (const { fileName: specifier } of importedFiles) {
      let target: string | undefined;
      if (specifier.startsWith('.')) target = resolveFile(repoRoot, path.posix.join(path.posix.dirname(file), specifier));
      else if (aliases.has(specifier)) target = resolveFile(repoRoot, aliases.get(specifier)!);
      else continue;
      if (!target) unresolved.push(`${file}: ${specifier}`);
      else if (!importerOf.has(target)) {
        importerOf.set(target, file);
        queue.push(target);
      }
    }
  }
  return { importerOf, unresolved };
}

/** The chain of imports from an entry point down to `file`, for error messages: `entry -> ... -> file`. */
export function importChain(graph: ImportGraph, file: string): string {
  const chain = [file];
  for (let importer = graph.importerOf.get(file); importer; importer = graph.importerOf.get(importer)) chain.unshift(importer);
  return chain.join(' -> ');
}
