/** Collection and alias names: generations are `products_v{n}`. */
import { generationName, generationOf } from '@vsearch/contracts';
import { VectorStoreError } from './errors';
import { DEFAULT_ALIAS } from './types';

export { generationName, generationOf };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Checks a generation name a caller chose (products_v{n}, n ≥ 1, no leading zeros), so every collection stays a generation. */
export function assertGenerationName(name: string): void {
  const generation = typeof name === 'string' ? generationOf(name) : undefined;
  if (generation === undefined || generation < 1 || generationName(generation) !== name) {
    throw VectorStoreError.invalidArgument(`collection name ${JSON.stringify(name)} is not a generation name: use products_v{n} with n >= 1`);
  }
}

/** The error for a named generation that exists already. */
export function generationExists(name: string): VectorStoreError {
  return VectorStoreError.alreadyExists(`collection ${name} already exists`);
}

/** Next generation after the given collection names. */
export function nextGenerationName(existing: Iterable<string>): string {
  let highest = 0;
  for (const name of existing) highest = Math.max(highest, generationOf(name) ?? 0);
  return generationName(highest + 1);
}

/** Oldest generation first; names that are not generations sort after them, by name. */
export function compareCollectionNames(a: string, b: string): number {
  const ga = generationOf(a) ?? Number.MAX_SAFE_INTEGER;
  const gb = generationOf(b) ?? Number.MAX_SAFE_INTEGER;
  return ga !== gb ? ga - gb : a.localeCompare(b);
}

/** Empty or unset means the default alias. */
export function targetName(collection: string | undefined): string {
  return collection === undefined || collection === '' ? DEFAULT_ALIAS : collection;
}

export function assertValidName(name: string, what: 'collection' | 'alias'): void {
  if (!NAME.test(name)) {
    throw VectorStoreError.invalidArgument(
      `${what} name ${JSON.stringify(name)} is not valid: use 1-128 letters, digits, '_' or '-', starting with a letter or digit`,
    );
  }
}

/** The error for a name that is neither a collection nor an alias. */
export function unknownTarget(name: string): VectorStoreError {
  if (name === DEFAULT_ALIAS) {
    return VectorStoreError.failedPrecondition(
      `alias "${DEFAULT_ALIAS}" points at no collection yet: call CreateCollection, then SwapAlias("${DEFAULT_ALIAS}", <new collection>) before writing or searching (ingestion does this at start-up)`,
    );
  }
  return VectorStoreError.notFound(`collection or alias "${name}" does not exist`);
}
