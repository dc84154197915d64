/**
 * Reading a catalog file (JSONL of catalog events, one per line, as
 * `vsearch generate` writes it): each line parsed at the edge with
 * `@vsearch/contracts`, so what gets published is valid and what is not is
 * reported with its line number and reason.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseCatalogEvent, type CatalogEvent } from '@vsearch/contracts';
import { CliError } from '../cli/errors';

export const CATALOG_FILE_NAME = 'catalog.jsonl';

export type CatalogLine =
  { ok: true; lineNumber: number; raw: string; event: CatalogEvent } | { ok: false; lineNumber: number; raw: string; code: string; message: string };

/** A file, or a directory holding `catalog.jsonl` (the generator's output directory). */
export async function resolveCatalogFile(target: string): Promise<string> {
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new CliError(`no such file or directory: ${target}`);
  }
  if (!info.isDirectory()) return target;
  const file = path.join(target, CATALOG_FILE_NAME);
  try {
    await stat(file);
  } catch {
    throw new CliError(`${target} is a directory without ${CATALOG_FILE_NAME}; give the JSONL file itself or the directory \`vsearch generate --out\` wrote`);
  }
  return file;
}

/** Every non-blank line of the file, parsed; blank lines are skipped (they are not events). */
export async function* readCatalogLines(file: string): AsyncGenerator<CatalogLine> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    const raw = line.trim();
    if (!raw) continue;
    const parsed = parseCatalogEvent(raw);
    if (parsed.ok) yield { ok: true, lineNumber, raw, event: parsed.value };
    else yield { ok: false, lineNumber, raw, code: parsed.error.code, message: parsed.error.message };
  }
}

/** Counts the valid events of a catalog file (for progress totals). */
export async function countCatalogEvents(file: string): Promise<{ valid: number; invalid: number }> {
  let valid = 0;
  let invalid = 0;
  for await (const line of readCatalogLines(file)) {
    if (line.ok) valid++;
    else invalid++;
  }
  return { valid, invalid };
}
