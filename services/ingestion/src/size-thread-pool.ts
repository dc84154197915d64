/**
 * Sizes libuv's thread pool for this process's image decoding before anything uses the pool:
 * main.ts imports this module first. Decode slots (PREPROCESS_CONCURRENCY) + 4, so the event
 * log's file writes and the image fetches' DNS look-ups always find a thread while images decode.
 * A bad PREPROCESS_CONCURRENCY is left for the config to report by name.
 */
import { sizeThreadPoolForDecoding } from '@vsearch/preprocessing';
import { preprocessConcurrencyEnv } from './config';

const decodeSlots = preprocessConcurrencyEnv.safeParse(process.env.PREPROCESS_CONCURRENCY);
sizeThreadPoolForDecoding(decodeSlots.success ? decodeSlots.data : 1);
