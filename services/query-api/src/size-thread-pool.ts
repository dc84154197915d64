/**
 * Sizes libuv's thread pool for this process's photo decoding before anything uses the pool:
 * main.ts imports this module first. Decode slots (IMAGE_DECODE_CONCURRENCY) + 4, so file reads
 * and DNS look-ups always find a thread while photos decode (see @vsearch/preprocessing
 * thread-pool.ts). A bad IMAGE_DECODE_CONCURRENCY is left for the config to report by name.
 */
import { sizeThreadPoolForDecoding } from '@vsearch/preprocessing';
import { decodeConcurrencyEnv } from './config';

const decodeSlots = decodeConcurrencyEnv.safeParse(process.env.IMAGE_DECODE_CONCURRENCY);
sizeThreadPoolForDecoding(decodeSlots.success ? decodeSlots.data : 1);
