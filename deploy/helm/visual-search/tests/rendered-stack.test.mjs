// The chart's rendered configuration starts the real services, laid out as
// their images lay them out, on a read-only application tree.
//
// For each service: the files its Dockerfile copies (through .dockerignore)
// are staged in a directory owned by root; the process runs as an
// unprivileged user (uid 65534, when this runs as root: CI does), so, as with
// the chart's readOnlyRootFilesystem, it can write only to its data directory
// and TMPDIR. Its environment is the Dockerfile's ENV plus the ConfigMap and
// Secret values that `helm template` renders with the default values (the
// embedded stores and event log) and an OTLP endpoint, with three rewrites a
// cluster would not need: ports are free local ports, cluster DNS names point at
// 127.0.0.1 (the collector at a local OTLP/HTTP listener), and /app is the
// staging directory. The HEALTHCHECK script of the images is the probe.
//
// real: the four services as child processes, onnxruntime with the bundled
//       model, the embedded store and event log, the chart's rendered config.
// fake: nothing (node_modules is the repository's, production and development
//       packages both: tests/image-contents.test.mjs checks that only
//       production ones are imported).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { REPO_ROOT, chartCopyWithoutDependencies, imageCopies, read, renderChart } from './lib.mjs';

const UNPRIVILEGED = 65534;
const asRoot = process.getuid?.() === 0;
const SERVICES = [
  // Started in this order: callers after the services they call.
  { name: 'embedder', component: 'embedder-interactive', probe: ['grpc', 'EMBEDDER_PORT'], ports: ['EMBEDDER_PORT', 'METRICS_PORT'] },
  { name: 'search', component: 'search', probe: ['grpc', 'SEARCH_PORT'], ports: ['SEARCH_PORT', 'METRICS_PORT'] },
  { name: 'ingestion', component: 'ingestion', probe: ['http', 'INGESTION_PORT', '/readyz'], ports: ['INGESTION_PORT'] },
  { name: 'query-api', component: 'query-api', probe: ['http', 'QUERY_API_PORT', '/readyz'], ports: ['QUERY_API_PORT'] },
];

let chart;
let objects;
const OTLP_ENDPOINT = 'http://otel-collector.observability:4318';
let collector; // { port, exports: Buffer[], close() }: a local OTLP/HTTP listener keeping each export's body
const running = new Map(); // name -> {child, env, logs, stage}
const localPorts = new Map(); // component -> port of its main listener

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The runtime-stage ENV of a Dockerfile. */
function dockerfileEnv(dockerfile) {
  const text = read(dockerfile).replace(/\\\n/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const env = {};
  for (const [, assignments] of runtime.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const [, key, value] of assignments.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[key] = value;
  }
  return env;
}

/** Copies what the image would contain into a root-owned, world-readable directory. */
function stageImage(dockerfile, stageDir) {
  for (const [file, inImage] of imageCopies(dockerfile)) {
    const target = path.join(stageDir, inImage);
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    copyFileSync(path.join(REPO_ROOT, file), target);
    chmodSync(target, 0o644);
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(stageDir, 'node_modules'));
}

function writableDir(dir) {
  mkdirSync(dir, { recursive: true });
  if (asRoot) chownSync(dir, UNPRIVILEGED, UNPRIVILEGED);
  return dir;
}

/** Env of a pod as rendered: envFrom its ConfigMap, plus literal secretKeyRefs resolved from the rendered Secret. */
function renderedEnv(component) {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels['app.kubernetes.io/component'] === component);
  const [container] = deployment.spec.template.spec.containers;
  const env = {};
  for (const source of container.envFrom ?? []) {
    Object.assign(env, objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === source.configMapRef.name).data);
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    const ref = variable.valueFrom?.secretKeyRef;
    const secret = ref && objects.find((o) => o.kind === 'Secret' && o.metadata.name === ref.name);
    if (secret?.data?.[ref.key]) env[variable.name] = Buffer.from(secret.data[ref.key], 'base64').toString();
  }
  return env;
}

/** Cluster names -> 127.0.0.1 and the local port of that component; /app -> the staging directory. */
function localise(value, stageDir) {
  return value
    .replace(/rel-visual-search-([a-z-]+):\d+/g, (whole, component) => {
      const target = component.startsWith('embedder') ? 'embedder-interactive' : component;
      assert.ok(localPorts.has(target), `${whole}: ${target} is started before its callers`);
      return `127.0.0.1:${localPorts.get(target)}`;
    })
    .replace(OTLP_ENDPOINT, `http://127.0.0.1:${collector.port}`)
    .replace(/^\/app(?=\/|$)/, stageDir);
}

/** Accepts OTLP/HTTP trace exports (protobuf) and keeps their bodies. */
function startCollector() {
  const exports = [];
  const server = createHttpServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') exports.push(Buffer.concat(chunks));
      response.writeHead(request.url === '/v1/traces' ? 200 : 404, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, exports, close: () => server.close() })));
}

/**
 * The protobuf bytes of the resource attribute `service.name` = `name` (a KeyValue: field 1 the
 * key, field 2 an AnyValue whose field 1 is the string): an export from that service carries them.
 */
function serviceNameBytes(name) {
  const key = Buffer.from('service.name');
  const value = Buffer.from(name);
  return Buffer.concat([Buffer.from([0x0a, key.length]), key, Buffer.from([0x12, value.length + 2, 0x0a, value.length]), value]);
}

function probe(service) {
  const { env, stage } = running.get(service.name);
  const result = spawnSync(process.execPath, ['deploy/docker/healthcheck.js', ...service.probe], { cwd: stage, env, encoding: 'utf8' });
  return result.status === 0;
}

async function waitUntil(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * The staged images link the checkout's node_modules, so the unprivileged user
 * must be able to traverse every directory above it. A checkout inside a 0700
 * directory (`mktemp -d`) would otherwise fail with "Cannot find module":
 * grant search (o+x, never read) where it is missing, and restore afterwards.
 */
const restoredModes = [];
function allowTraversalToRepository() {
  if (!asRoot) return;
  for (let dir = REPO_ROOT; ; dir = path.dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      restoredModes.push([dir, mode]);
    }
    if (path.dirname(dir) === dir) break;
  }
}

before(async () => {
  allowTraversalToRepository();
  chart = chartCopyWithoutDependencies();
  chmodSync(chart.workDir, 0o755);
  collector = await startCollector();
  objects = renderChart(chart.dir, ['--set', 'secrets.adminApiKeys[0]=an-admin-key-for-tests', '--set', `otel.endpoint=${OTLP_ENDPOINT}`]);
});

after(async () => {
  collector?.close();
  for (const { child } of running.values()) if (child.exitCode === null) child.kill('SIGKILL');
  chart?.cleanup();
  for (const [dir, mode] of restoredModes) chmodSync(dir, mode);
});

describe('the default values (and an OTLP endpoint) start the real services from their image layout, read-only, unprivileged', () => {
  for (const service of SERVICES) {
    test(`${service.name}: starts with the rendered environment and passes its image HEALTHCHECK (${service.probe.join(' ')})`, async () => {
      const stage = path.join(chart.workDir, `image-${service.name}`);
      stageImage(`services/${service.name}/Dockerfile`, stage);
      const data = writableDir(path.join(chart.workDir, `data-${service.name}`));
      const tmp = writableDir(path.join(chart.workDir, `tmp-${service.name}`));

      const env = { PATH: process.env.PATH, ...dockerfileEnv(`services/${service.name}/Dockerfile`) };
      for (const [key, value] of Object.entries(renderedEnv(service.component))) env[key] = localise(value, stage);
      for (const key of service.ports) env[key] = String(await freePort());
      Object.assign(env, { DATA_DIR: data, TMPDIR: tmp, HOME: tmp });
      localPorts.set(service.component, Number(env[service.ports[0]]));

      const command = [process.execPath, 'tools/cli/bin/run-ts.js', `services/${service.name}/src/main.ts`];
      const argv = asRoot ? ['setpriv', `--reuid=${UNPRIVILEGED}`, `--regid=${UNPRIVILEGED}`, '--clear-groups', '--', ...command] : command;
      const child = spawn(argv[0], argv.slice(1), { cwd: stage, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const logs = [];
      child.stdout.on('data', (chunk) => logs.push(chunk.toString()));
      child.stderr.on('data', (chunk) => logs.push(chunk.toString()));
      running.set(service.name, { child, env, stage, logs });

      await waitUntil(
        `${service.name} to pass its HEALTHCHECK`,
        () => {
          assert.equal(child.exitCode, null, `${service.name} exited (${child.exitCode}):\n${logs.join('').slice(-4000)}`);
          return probe(service);
        },
        120_000,
      );
    });
  }

  test('every service stops on SIGTERM with exit code 0', async () => {
    assert.equal(running.size, SERVICES.length, 'all started');
    for (const service of [...SERVICES].reverse()) {
      const { child, logs } = running.get(service.name);
      const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref())]);
      assert.equal(code, 0, `${service.name}:\n${logs.join('').slice(-2000)}`);
    }
  });

  test("every service exported trace spans to the chart's OTLP endpoint (the last ones flushed on SIGTERM)", () => {
    // Start-up calls (ingestion's and the query API's to the embedder and search) and the query API's probes are spans.
    for (const service of SERVICES) {
      const marker = serviceNameBytes(service.name);
      assert.ok(
        collector.exports.some((body) => body.includes(marker)),
        `no export from ${service.name} among ${collector.exports.length}`,
      );
    }
  });
});
