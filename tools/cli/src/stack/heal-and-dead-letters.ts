/**
 * The self-heal and dead-letter part of `vsearch status`: ingestion's heal state (GET
 * /internal/heal), the dead letters per reason, and what the catalog log says the index should
 * hold. Each part answers or says why not; none throws.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CollectionInfo } from '@vsearch/contracts';
import { catalogTopicNames, DeadLetterReader, type EventLog } from '@vsearch/event-log';
import { catalogExpectation, type CatalogExpectation } from './catalog-expectation';
import { openEventLog } from './event-log';

/** GET /internal/heal as ingestion serves it. */
export interface HealReport {
  enabled: boolean;
  state?: 'idle' | 'healing' | 'waiting';
  damagedCollection?: string;
  damage?: string;
  jobId?: string;
  healingInto?: string;
  waitingFor?: string;
  lastOutcome?: { outcome: string; collection: string; at: string; error?: string };
}

export interface CatalogLogReport {
  deadLetters?: { errorCode: string; stage: string; count: number }[];
  expectation?: CatalogExpectation;
  /** Why the log could not be read. */
  error?: string;
}

export async function readHealReport(ingestionUrl: string, timeoutMs: number): Promise<HealReport | { error: string }> {
  try {
    const response = await fetch(`${ingestionUrl.replace(/\/+$/, '')}/internal/heal`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { error: `/internal/heal answered ${response.status}` };
    return (await response.json()) as HealReport;
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * Reads the catalog topics where the CLI publishes (KAFKA_BROKERS, else DATA_DIR's embedded log;
 * TOPIC_PREFIX). An embedded log that does not exist is not created: status only looks.
 */
export async function readCatalogLog(environment: NodeJS.ProcessEnv, timeoutMs: number): Promise<CatalogLogReport> {
  const dataDir = path.resolve(environment.DATA_DIR ?? './data');
  const kafkaBrokers = environment.KAFKA_BROKERS?.trim() || undefined;
  if (!kafkaBrokers && !existsSync(path.join(dataDir, 'event-log', 'topics'))) return { error: `no embedded event log in ${dataDir}` };
  const topics = catalogTopicNames(environment.TOPIC_PREFIX ?? '');
  const opened: { eventLog?: EventLog } = {};
  const reading = (async () => {
    const eventLog = await openEventLog({ kafkaBrokers, dataDir, topicPrefix: environment.TOPIC_PREFIX, environment });
    opened.eventLog = eventLog;
    const deadLetters = await new DeadLetterReader(eventLog, topics).countByReason();
    const expectation = await catalogExpectation(eventLog, topics);
    return { deadLetters, expectation };
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CatalogLogReport>((resolve) => {
    timer = setTimeout(() => resolve({ error: `the catalog log did not answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([reading.catch((error: unknown) => ({ error: (error as Error).message })), timeout]);
  } finally {
    clearTimeout(timer);
    await opened.eventLog?.close().catch(() => undefined);
  }
}

/** Text lines for the status: damage, the heal, the index against the log, dead letters per reason. */
export function formatHealAndDeadLetters(
  serving: CollectionInfo | undefined,
  collections: CollectionInfo[] | undefined,
  heal: HealReport | { error: string },
  log: CatalogLogReport,
): string[] {
  const lines: string[] = [];
  for (const collection of collections ?? []) if (collection.damage) lines.push(`DAMAGED: ${collection.name}: ${collection.damage}`);
  if ('error' in heal) lines.push(`self-heal: unknown (${heal.error})`);
  else if (!heal.enabled) lines.push('self-heal: off (SELF_HEAL=false)');
  else if (heal.state === 'healing')
    lines.push(`self-heal: rebuilding ${heal.damagedCollection} from the catalog topic into ${heal.healingInto} (job ${heal.jobId})`);
  else if (heal.state === 'waiting') lines.push(`self-heal: ${heal.damagedCollection} is damaged; waiting: ${heal.waitingFor}`);
  else if (heal.lastOutcome)
    lines.push(
      `self-heal: idle (last: ${heal.lastOutcome.outcome} ${heal.lastOutcome.collection} at ${heal.lastOutcome.at}${heal.lastOutcome.error ? `: ${heal.lastOutcome.error}` : ''})`,
    );
  else lines.push('self-heal: idle');
  if (log.error) lines.push(`catalog log: not read (${log.error})`);
  if (log.expectation && serving) {
    const { expectedProducts } = log.expectation;
    lines.push(
      serving.productCount === expectedProducts
        ? `index: ${serving.productCount} products, as the catalog log says`
        : `index: ${serving.productCount} products but the catalog log says ${expectedProducts}`,
    );
  }
  if (log.deadLetters) {
    const total = log.deadLetters.reduce((sum, entry) => sum + entry.count, 0);
    lines.push(
      total === 0
        ? 'dead letters: none'
        : `dead letters: ${total} (${log.deadLetters.map((entry) => `${entry.errorCode} ${entry.count}`).join(', ')}; npx vsearch dlq list)`,
    );
  }
  return lines;
}
