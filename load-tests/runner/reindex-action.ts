/** The background action of the reindex-under-load scenario: start a reindex through the admin API and wait for the alias swap. */
export interface ActionOutcome {
  name: string;
  completed: boolean;
  durationMs: number;
  detail: string;
}

export async function runReindex(target: string, apiKey: string, timeoutMs: number): Promise<ActionOutcome> {
  const started = Date.now();
  const outcome = (completed: boolean, detail: string): ActionOutcome => ({ name: 'reindex', completed, durationMs: Date.now() - started, detail });
  const response = await fetch(new URL('/v1/admin/reindex', target), {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: '{}',
  });
  if (response.status !== 202) return outcome(false, `POST /v1/admin/reindex answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  const { jobId } = (await response.json()) as { jobId: string };
  while (Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const progress = await fetch(new URL(`/v1/admin/reindex/${encodeURIComponent(jobId)}`, target), { headers: { 'x-api-key': apiKey } });
    if (!progress.ok) continue;
    const job = (await progress.json()) as { state: string; done?: number; total?: number; collection?: string; error?: string };
    if (job.state === 'done') return outcome(true, `job ${jobId} done: ${job.done}/${job.total} products into ${job.collection}`);
    if (job.state === 'failed') return outcome(false, `job ${jobId} failed: ${job.error ?? 'no reason given'}`);
  }
  return outcome(false, `job ${jobId} did not finish within ${timeoutMs} ms`);
}
