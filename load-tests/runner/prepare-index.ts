/**
 * Pads the aliased collection to a target number of products, so load
 * scenarios run against a catalog of production size (issue: a 100k-product
 * embedded index) without embedding 100k rendered images on a 2-core machine.
 * The padding products carry random unit vectors and realistic attributes;
 * ids start with `pad-` so they are easy to tell apart. Idempotent: products
 * already present are overwritten with the same version (a no-op).
 * Usage: node tools/cli/bin/run-ts.js load-tests/runner/prepare-index.ts --products 100000 [--search-addr host:port]
 */
import * as grpc from '@grpc/grpc-js';
import { searchV1 } from '@vsearch/proto';

type Callback<T> = (error: grpc.ServiceError | null, response: T) => void;
interface RawSearchClient extends grpc.Client {
  listCollections(request: searchV1.ListCollectionsRequest, callback: Callback<searchV1.ListCollectionsResponse>): void;
  upsert(request: searchV1.UpsertRequest, options: grpc.CallOptions, callback: Callback<searchV1.UpsertResponse>): void;
}

const CATEGORIES = [
  ['apparel', 't-shirt'],
  ['apparel', 'dress'],
  ['apparel', 'jeans'],
  ['footwear', 'sneaker'],
  ['footwear', 'boot'],
  ['bags', 'handbag'],
  ['bags', 'backpack'],
  ['accessories', 'cap'],
  ['home', 'mug'],
  ['home', 'lamp'],
  ['home', 'chair'],
  ['accessories', 'watch'],
];
const BRANDS = ['Northwind', 'Contoso', 'Fabrikam', 'Tailspin', 'Wingtip', 'Adventure Works', 'Litware', 'Proseware'];

function parseArgs(argv: string[]): { products: number; searchAddr: string; batch: number } {
  let products = 100_000;
  let searchAddr = process.env.SEARCH_ADDR ?? '127.0.0.1:50052';
  let batch = 500;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--products') products = Number(argv[++i]);
    else if (argv[i] === '--search-addr') searchAddr = argv[++i];
    else if (argv[i] === '--batch') batch = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(products) || products < 0) throw new Error('--products must be a non-negative integer');
  return { products, searchAddr, batch };
}

/** Deterministic xorshift so two runs pad with the same products. */
function rng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

function randomUnitVector(random: () => number, dimension: number): Buffer {
  const vector = new Float32Array(dimension);
  let norm = 0;
  for (let i = 0; i < dimension; i += 1) {
    // Box–Muller: a Gaussian per coordinate gives a uniform direction.
    const value = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    vector[i] = value;
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dimension; i += 1) vector[i] /= norm;
  return Buffer.from(vector.buffer);
}

async function main(): Promise<void> {
  const { products, searchAddr, batch } = parseArgs(process.argv.slice(2));
  const Client = grpc.makeGenericClientConstructor(searchV1.SearchServiceService, 'SearchService') as unknown as new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: grpc.ClientOptions,
  ) => RawSearchClient;
  const client = new Client(searchAddr, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const collections = await new Promise<searchV1.ListCollectionsResponse>((resolve, reject) =>
    client.listCollections({}, (error, response) => (error ? reject(error) : resolve(response))),
  );
  const live = collections.collections.find((collection) => collection.aliases.includes('products'));
  if (!live) throw new Error(`no collection behind the alias "products" at ${searchAddr}: index the catalog first (npm start)`);
  const missing = products - live.productCount;
  console.log(`${live.name}: ${live.productCount} products (model ${live.modelId}, ${live.dimension} dims); padding ${Math.max(0, missing)} more`);
  const random = rng(20261127);
  const started = Date.now();
  for (let offset = 0; offset < missing; offset += batch) {
    const count = Math.min(batch, missing - offset);
    const request: searchV1.UpsertRequest = {
      collection: '',
      modelId: live.modelId,
      products: Array.from({ length: count }, (_, i) => {
        const index = live.productCount + offset + i;
        const [department, category] = CATEGORIES[index % CATEGORIES.length];
        const productId = `pad-${String(index).padStart(7, '0')}`;
        return {
          product: {
            productId,
            version: 1,
            title: `${BRANDS[index % BRANDS.length]} ${category} ${index}`,
            description: 'synthetic product padding the index for load tests',
            brand: BRANDS[index % BRANDS.length],
            categories: [department, category],
            price: { amount: Math.round(5 + random() * 295), currency: 'EUR' },
            inStock: random() < 0.85,
            attributes: { category, synthetic: 'true' },
            updatedAt: '',
          },
          images: [
            {
              imageId: 'main',
              imageUrl: `http://127.0.0.1:8080/catalog-images/${productId}/main.jpg`,
              vector: randomUnitVector(random, live.dimension),
              description: '',
            },
          ],
        };
      }),
    };
    await new Promise<void>((resolve, reject) => client.upsert(request, { deadline: Date.now() + 120_000 }, (error) => (error ? reject(error) : resolve())));
    const done = offset + count;
    if (done % (batch * 20) === 0 || done === missing) {
      const rate = done / ((Date.now() - started) / 1000);
      console.log(`  ${done}/${missing} padded (${rate.toFixed(0)} products/s)`);
    }
  }
  client.close();
}

main().catch((error: Error) => {
  console.error(`prepare-index: ${error.message}`);
  process.exitCode = 1;
});
