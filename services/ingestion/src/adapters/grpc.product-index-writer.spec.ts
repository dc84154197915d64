/**
 * How search's failures reach ingestion's logic: the one translation of SearchCallError (status
 * and, for a damaged collection, the reason search sends beside it) into the platform's errors.
 * real: SearchCallError as SearchClient builds it from a failed call (code, details, reason).
 * mock: nothing (the wire itself is covered by services/search/src/search.integrity.int-spec.ts
 * and ingestion.heal.int-spec.ts).
 */
import { status } from '@grpc/grpc-js';
import { DependencyUnavailableError, RejectedByDependencyError } from '@vsearch/contracts';
import { SearchCallError, SearchErrorReason } from '@vsearch/grpc-clients';
import { CollectionDamagedError } from '../ports';
import { searchFailure } from './grpc.product-index-writer';

const DAMAGE_DETAILS =
  'collection products_v1 is damaged and not served until it is rebuilt (ingestion rebuilds it from the catalog topic; or run `vsearch reindex`): snapshot-3/vectors.f32 at byte 4096: checksum mismatch';

describe('searchFailure', () => {
  it('turns a damaged collection into CollectionDamagedError, an outage writes wait out, naming the collection and the damage', () => {
    const error = searchFailure(new SearchCallError('upsert', status.FAILED_PRECONDITION, DAMAGE_DETAILS, SearchErrorReason.collectionDamaged), 'products');
    expect(error).toBeInstanceOf(CollectionDamagedError);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as CollectionDamagedError).collection).toBe('products');
    expect((error as CollectionDamagedError).dependency).toBe('search');
    expect(error.message).toMatch(/collection products is damaged; writes wait until it is rebuilt .*snapshot-3\/vectors\.f32 at byte 4096/);
  });

  it('keeps any other FAILED_PRECONDITION a refusal, even one whose message mentions damage (only the reason counts)', () => {
    const error = searchFailure(new SearchCallError('upsert', status.FAILED_PRECONDITION, DAMAGE_DETAILS), 'products');
    expect(error).toBeInstanceOf(RejectedByDependencyError);
    expect(error).toMatchObject({ dependency: 'search', code: 'FAILED_PRECONDITION' });
  });

  it('does not take the damage reason on another status for damage', () => {
    const error = searchFailure(new SearchCallError('upsert', status.INVALID_ARGUMENT, 'bad vector', SearchErrorReason.collectionDamaged), 'products_v2');
    expect(error).toBeInstanceOf(RejectedByDependencyError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('keeps transient statuses and non-gRPC failures DependencyUnavailableError', () => {
    for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED]) {
      const error = searchFailure(new SearchCallError('upsert', code, 'try later'));
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(error).not.toBeInstanceOf(CollectionDamagedError);
    }
    expect(searchFailure(new Error('socket hang up'))).toBeInstanceOf(DependencyUnavailableError);
  });
});
