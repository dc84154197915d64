/**
 * A deterministic sample of the catalog, drawn while a rebuild replays the products topic: the
 * `size` products whose id hashes lowest (a bottom-k sketch), each with its newest title and
 * images. The same catalog gives the same sample in any order and on any replica, so a gate that
 * fails fails again on a retry, and products the new generation lost are in it as often as any.
 */
import { createHash } from 'node:crypto';
import { parseCatalogEvent, type ProductImage } from '@vsearch/contracts';
import type { ConsumedEvent } from '@vsearch/event-log';

export interface SampledProduct {
  productId: string;
  version: number;
  title: string;
  images: ProductImage[];
  /** The newest event deleted it: not expected in any generation. */
  deleted: boolean;
}

export class CatalogSample {
  private readonly products = new Map<string, SampledProduct & { rank: bigint }>();
  /** The highest rank kept while the sample is full; higher ranks are not looked at. */
  private cutoff: bigint | undefined;

  constructor(private readonly size: number) {}

  /** Looks at one chunk of replayed catalog events (malformed ones are the handler's business). */
  add(events: readonly ConsumedEvent[]): void {
    if (this.size === 0) return;
    for (const message of events) {
      if (!message.value) continue;
      const parsed = parseCatalogEvent(message.value);
      if (!parsed.ok) continue;
      const event = parsed.value;
      const rank = rankOf(event.productId);
      if (this.cutoff !== undefined && rank > this.cutoff) continue;
      const known = this.products.get(event.productId);
      if (known && known.version > event.version) continue;
      if (event.type === 'product.deleted') {
        this.products.set(event.productId, { productId: event.productId, version: event.version, title: known?.title ?? '', images: [], deleted: true, rank });
      } else {
        this.products.set(event.productId, {
          productId: event.productId,
          version: event.version,
          title: event.title,
          images: event.images,
          deleted: false,
          rank,
        });
      }
      if (!known && this.products.size > this.size) this.dropHighest();
    }
  }

  /** The sampled products the catalog still holds, in rank order. */
  current(): SampledProduct[] {
    return [...this.products.values()]
      .filter((product) => !product.deleted)
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
      .map(({ rank: _rank, ...product }) => product);
  }

  private dropHighest(): void {
    let highest: (SampledProduct & { rank: bigint }) | undefined;
    for (const product of this.products.values()) if (!highest || product.rank > highest.rank) highest = product;
    if (!highest) return;
    this.products.delete(highest.productId);
    this.cutoff = [...this.products.values()].reduce((max, product) => (product.rank > max ? product.rank : max), 0n);
  }
}

function rankOf(productId: string): bigint {
  return createHash('sha256').update(productId).digest().readBigUInt64BE(0);
}
