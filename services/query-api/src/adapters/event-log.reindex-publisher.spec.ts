/**
 * Unit: reindex requests land on the prefixed topic ingestion consumes (TOPIC_PREFIX).
 * real: the embedded event log in a temp dir, loadQueryApiConfig; mock: none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { catalogTopicSpecs, FileEventLog } from '@vsearch/event-log';
import { loadQueryApiConfig } from '../config';
import { EventLogReindexPublisher } from './event-log.reindex-publisher';

describe(EventLogReindexPublisher.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vsearch-reindex-publisher-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes to <TOPIC_PREFIX>catalog.reindex.v1, keyed by job id', async () => {
    const config = loadQueryApiConfig({ TOPIC_PREFIX: 'staging.', DATA_DIR: dir }, {});
    const eventLog = new FileEventLog({ dir: path.join(dir, 'event-log') });
    await eventLog.ensureTopics(catalogTopicSpecs('staging.'));
    const publisher = new EventLogReindexPublisher(eventLog, config.eventLog.reindexTopic);
    await publisher.publish({ type: 'reindex.requested', jobId: 'job-1', requestedAt: '2026-11-27T08:00:00Z' }, { requestId: 'req-1' });

    const seen: { key: string | null; requestId?: string }[] = [];
    await eventLog.replayTopic('staging.catalog.reindex.v1', async (batch) => {
      for (const message of batch.messages) seen.push({ key: message.key, requestId: message.headers['x-request-id'] });
    });
    expect(seen).toEqual([{ key: 'job-1', requestId: 'req-1' }]);
    // Nothing went to the unprefixed topic (which does not even exist in this log).
    expect(await eventLog.endOffsets('catalog.reindex.v1')).toEqual(new Map());
    await publisher.close();
  });
});
