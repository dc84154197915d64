/**
 * JSON logs (pino) with a service name, redaction of anything that looks like a secret, and the
 * active span's `trace_id` / `span_id` on lines written inside a traced operation.
 */
import pino, { type Logger } from 'pino';
import { activeTraceIds } from './tracing';

export type { Logger } from 'pino';

const REDACTED_PATHS = [
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'qdrantApiKey',
  '*.qdrantApiKey',
];

export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    mixin: activeTraceIds,
  });
}
