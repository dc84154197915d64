// Chart and image checks, run by tools/test/steps/80-chart.sh with Node's test
// runner (kubernetes-models is ESM-only, which the repository's CommonJS jest
// setup cannot load; node:test runs it natively).
//
// real: helm (built from the Go module proxy), kubernetes-validate's strict
//       Kubernetes OpenAPI schemas (1.27, the chart's floor, and 1.37),
//       @kubernetes-models validators for the CRDs (KEDA, prometheus-operator),
//       hadolint.
// fake: nothing. The one liberty: the chart is rendered from a copy whose
//       Chart.yaml lacks the `dependencies:` block, because Helm refuses to
//       render a chart whose listed dependency (the official Qdrant chart,
//       disabled by default) is not vendored under charts/, and that tarball
//       cannot be downloaded here. The block itself is checked below.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, REPO_ROOT, chartCopyWithoutDependencies, helm, renderChart } from './lib.mjs';
import { readmeWithTable, valuesRows } from './values-table.mjs';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';

const HELM_CHECK = helm(['version', '--short']);
assert.equal(HELM_CHECK.status, 0, HELM_CHECK.stderr);
const TOOLS_BIN = process.env.CHART_TOOLS_BIN ?? execFileSync('bash', [path.join(REPO_ROOT, 'tools/setup/chart-tools.sh')], { encoding: 'utf8' }).trim();
const KUBERNETES_VERSIONS = ['1.27.0', '1.37.0'];
const CRD_MODELS = {
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};
const SCENARIOS = {
  default: [],
  dev: ['-f', path.join(CHART_DIR, 'values-dev.yaml')],
  gpu: ['-f', path.join(CHART_DIR, 'values-gpu.yaml')],
  keda: ['-f', path.join(CHART_DIR, 'values-keda.yaml')],
  // Everything optional switched on at once: Ingress, ServiceMonitors, the
  // bundled Qdrant, HPAs, an existing Secret, a model from a PVC, custom labels.
  everything: [
    '--set',
    'queryApi.ingress.enabled=true',
    '--set',
    'queryApi.ingress.hosts[0].host=search.shop.test',
    '--set',
    'queryApi.ingress.tls[0].secretName=search-tls',
    '--set',
    'queryApi.ingress.tls[0].hosts[0]=search.shop.test',
    '--set',
    'metrics.serviceMonitor.enabled=true',
    '--set',
    'qdrant.enabled=true',
    '--set',
    'search.replicas=3',
    '--set',
    'search.autoscaling.enabled=true',
    '--set',
    'embedder.pools.interactive.autoscaling.enabled=true',
    '--set',
    'embedder.pools.interactive.autoscaling.targetCPUUtilizationPercentage=80',
    '--set',
    'secrets.existingSecret=vs-credentials',
    '--set',
    'embedder.model.source=pvc',
    '--set',
    'embedder.model.pvc.existingClaim=models',
    '--set',
    'commonLabels.team=search',
    '--set',
    'kafka.brokers[0]=broker-0.kafka:9092',
    '--set',
    'kafka.sasl.enabled=true',
    '--set',
    'otel.endpoint=http://otel-collector.observability:4318',
    '--set',
    'otel.sampler=parentbased_traceidratio',
    '--set-string',
    'otel.samplerArg=0.25',
  ],
};

let workDir;
let chartCopy;

/** Renders the chart copy with these arguments and returns its objects. */
const render = (args) => renderChart(chartCopy, args);

const rendered = {};
function objects(scenario) {
  rendered[scenario] ??= render(SCENARIOS[scenario]);
  return rendered[scenario];
}

const podSpecs = (list) => list.filter((o) => o.kind === 'Deployment').map((d) => ({ name: d.metadata.name, deployment: d, spec: d.spec.template.spec }));
const allContainers = (spec) => [...(spec.initContainers ?? []), ...spec.containers];
const GRPC_COMPONENTS = ['embedder-interactive', 'embedder-bulk', 'search'];
const componentOf = (object) => object.metadata.labels['app.kubernetes.io/component'];
const byKindName = (list, kind, name) => list.find((o) => o.kind === kind && o.metadata.name === name);
const tagOf = (image) => {
  const lastSegment = image.split('/').pop();
  return lastSegment.includes(':') ? lastSegment.split(':').pop() : '';
};

let cleanup;
before(() => {
  ({ dir: chartCopy, workDir, cleanup } = chartCopyWithoutDependencies());
});

after(() => cleanup());

describe('Chart.yaml', () => {
  test('declares the official Qdrant chart as a dependency switched by qdrant.enabled', () => {
    const chart = parse(readFileSync(path.join(CHART_DIR, 'Chart.yaml'), 'utf8'));
    assert.deepEqual(
      chart.dependencies.map((d) => [d.name, d.repository, d.condition]),
      [['qdrant', 'https://qdrant.github.io/qdrant-helm', 'qdrant.enabled']],
    );
    const values = parse(readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8'));
    assert.equal(values.qdrant.enabled, false, 'Qdrant is off by default');
  });
});

describe('documentation', () => {
  test('every value in values.yaml is documented with a "# --" comment', () => {
    const undocumented = valuesRows()
      .filter((row) => !row.description)
      .map((row) => row.key);
    assert.deepEqual(undocumented, []);
  });

  test('the README values table matches values.yaml (node tests/values-table.mjs --write)', () => {
    const readme = readFileSync(path.join(CHART_DIR, 'README.md'), 'utf8');
    assert.equal(readme, readmeWithTable(readme));
  });
});

describe('helm lint --strict', () => {
  for (const file of ['values.yaml', 'values-dev.yaml', 'values-gpu.yaml', 'values-keda.yaml']) {
    test(`passes with ${file}`, () => {
      const result = helm(['lint', '--strict', chartCopy, '-f', path.join(CHART_DIR, file)]);
      assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    });
  }
});

for (const scenario of Object.keys(SCENARIOS)) {
  describe(`rendered with the ${scenario} values`, () => {
    test('every core object validates against the strict Kubernetes schemas (unknown fields rejected)', () => {
      const core = objects(scenario).filter((o) => !CRD_MODELS[`${o.apiVersion}/${o.kind}`]);
      assert.ok(core.length > 10, `rendered ${core.length} core objects`);
      const file = path.join(workDir, `${scenario}-core.yaml`);
      writeFileSync(file, core.map((o) => JSON.stringify(o)).join('\n---\n'));
      for (const version of KUBERNETES_VERSIONS) {
        const result = spawnSync(path.join(TOOLS_BIN, 'kubernetes-validate'), ['--strict', '-k', version, file], { encoding: 'utf8' });
        const output = `${result.stdout}${result.stderr}`;
        assert.equal(result.status, 0, `kubernetes-validate ${version}:\n${output}`);
        assert.doesNotMatch(output, /Couldn't find schema|ERROR/, `kubernetes-validate ${version}:\n${output}`);
        const passed = output.match(/ passed for resource /g) ?? [];
        assert.equal(passed.length, core.length, `every object was validated at ${version}:\n${output}`);
      }
    });

    test('every custom resource validates against its CRD model', () => {
      for (const object of objects(scenario).filter((o) => o.apiVersion.includes('.') && !o.apiVersion.includes('k8s.io'))) {
        const Model = CRD_MODELS[`${object.apiVersion}/${object.kind}`];
        assert.ok(Model, `no schema for ${object.apiVersion} ${object.kind}: add its model`);
        assert.doesNotThrow(() => new Model(object).validate(), `${object.kind} ${object.metadata.name}`);
      }
    });

    test('every container has resources, init containers included', () => {
      for (const { name, spec } of podSpecs(objects(scenario))) {
        for (const container of allContainers(spec)) {
          const where = `${name}/${container.name}`;
          assert.ok(container.resources?.requests?.cpu, `${where}: requests.cpu`);
          assert.ok(container.resources?.requests?.memory, `${where}: requests.memory`);
          assert.ok(container.resources?.limits?.memory, `${where}: limits.memory`);
        }
      }
    });

    test('every long-running container has startup, liveness and readiness probes of the right kind', () => {
      for (const { name, deployment, spec } of podSpecs(objects(scenario))) {
        for (const container of spec.containers) {
          for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
            assert.ok(container[probe], `${name}/${container.name}: ${probe}`);
            const grpcService = GRPC_COMPONENTS.includes(componentOf(deployment));
            if (grpcService) assert.ok(container[probe].grpc?.port, `${name}: gRPC health ${probe}`);
            else assert.match(container[probe].httpGet?.path ?? '', /^\/(healthz|readyz)$/, `${name}: HTTP ${probe}`);
          }
        }
      }
    });

    test('no container runs as root or can gain privileges, and the root filesystem is read-only', () => {
      for (const { name, spec } of podSpecs(objects(scenario))) {
        assert.equal(spec.securityContext?.runAsNonRoot, true, `${name}: pod runAsNonRoot`);
        assert.ok(spec.securityContext?.runAsUser > 0, `${name}: pod runAsUser`);
        for (const container of allContainers(spec)) {
          const where = `${name}/${container.name}`;
          const context = container.securityContext ?? {};
          assert.equal(context.runAsNonRoot, true, `${where}: runAsNonRoot`);
          assert.notEqual(context.runAsUser ?? spec.securityContext.runAsUser, 0, `${where}: runAsUser`);
          assert.equal(context.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
          assert.equal(context.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
          assert.deepEqual(context.capabilities?.drop, ['ALL'], `${where}: capabilities`);
          assert.ok(
            container.volumeMounts?.some((m) => m.mountPath === '/tmp'),
            `${where}: a writable /tmp`,
          );
        }
      }
    });

    test('image tags are pinned: never empty, never latest', () => {
      for (const { name, spec } of podSpecs(objects(scenario))) {
        for (const container of allContainers(spec)) {
          const tag = tagOf(container.image);
          assert.ok(tag.length > 0, `${name}/${container.name}: ${container.image} has a tag`);
          assert.notEqual(tag, 'latest', `${name}/${container.name}: ${container.image}`);
        }
      }
    });

    test('selectors hold only the selector labels and match their pods; Services select exactly one workload', () => {
      const list = objects(scenario);
      const selectorKeys = ['app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/name'];
      const deployments = podSpecs(list);
      for (const { name, deployment } of deployments) {
        const selector = deployment.spec.selector.matchLabels;
        assert.deepEqual(Object.keys(selector).sort(), selectorKeys, `${name}: selector keys`);
        for (const [key, value] of Object.entries(selector)) {
          assert.equal(deployment.spec.template.metadata.labels[key], value, `${name}: pod label ${key}`);
        }
      }
      for (const service of list.filter((o) => o.kind === 'Service')) {
        const matching = deployments.filter(({ deployment }) =>
          Object.entries(service.spec.selector).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v),
        );
        assert.equal(matching.length, 1, `Service ${service.metadata.name} selects ${matching.length} workloads`);
      }
    });

    test('the embedder and search Services are headless, for per-call balancing over pods', () => {
      for (const service of objects(scenario).filter((o) => o.kind === 'Service' && GRPC_COMPONENTS.includes(componentOf(o)))) {
        assert.equal(service.spec.clusterIP, 'None', service.metadata.name);
      }
    });

    test('every reference resolves: ConfigMaps, the Secret, scale targets; autoscaled Deployments leave replicas alone', () => {
      const list = objects(scenario);
      const values = scenario === 'everything' ? { existingSecret: 'vs-credentials' } : {};
      for (const { name, deployment, spec } of podSpecs(list)) {
        for (const container of allContainers(spec)) {
          for (const source of container.envFrom ?? []) {
            assert.ok(byKindName(list, 'ConfigMap', source.configMapRef.name), `${name}: ConfigMap ${source.configMapRef.name}`);
          }
          for (const variable of container.env ?? []) {
            const secretName = variable.valueFrom?.secretKeyRef?.name;
            if (secretName) assert.ok(secretName === values.existingSecret || byKindName(list, 'Secret', secretName), `${name}: Secret ${secretName}`);
          }
        }
        const scalers = list.filter((o) => (o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject') && o.spec.scaleTargetRef.name === name);
        assert.ok(scalers.length <= 1, `${name}: one autoscaler at most`);
        if (scalers.length === 1) assert.equal(deployment.spec.replicas, undefined, `${name}: replicas left to ${scalers[0].kind}`);
      }
      for (const scaler of list.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject')) {
        assert.ok(byKindName(list, 'Deployment', scaler.spec.scaleTargetRef.name), `${scaler.kind} ${scaler.metadata.name} target`);
      }
      for (const pdb of list.filter((o) => o.kind === 'PodDisruptionBudget')) {
        assert.ok(
          (pdb.spec.minAvailable === undefined) !== (pdb.spec.maxUnavailable === undefined),
          `${pdb.metadata.name}: one of minAvailable/maxUnavailable`,
        );
      }
    });

    test('NetworkPolicies: only query-api takes traffic from outside the release', () => {
      const list = objects(scenario);
      const policies = list.filter((o) => o.kind === 'NetworkPolicy');
      if (scenario === 'dev') return assert.equal(policies.length, 0, 'off in dev');
      assert.ok(
        policies.some((p) => p.metadata.name.endsWith('default-deny') && p.spec.ingress === undefined),
        'a default deny',
      );
      for (const policy of policies) {
        for (const rule of policy.spec.ingress ?? []) {
          const component = policy.spec.podSelector.matchLabels['app.kubernetes.io/component'];
          const open = rule.from === undefined || rule.from.length === 0;
          if (component !== 'query-api') {
            assert.ok(!open, `${policy.metadata.name} is open to everyone`);
            for (const peer of rule.from) assert.ok(peer.podSelector || peer.namespaceSelector, `${policy.metadata.name}: peer`);
          }
        }
      }
      for (const { deployment } of podSpecs(list)) {
        const component = deployment.spec.template.metadata.labels['app.kubernetes.io/component'];
        assert.ok(
          policies.some((p) => p.spec.podSelector.matchLabels['app.kubernetes.io/component'] === component),
          `${component} has its policy`,
        );
      }
    });
  });
}

describe('GPU intent', () => {
  const embedders = (scenario) => podSpecs(objects(scenario)).filter(({ name }) => name.includes('embedder'));

  test('with values-gpu.yaml every embedder pod requests a GPU, runs the CUDA image and the CUDA provider', () => {
    const list = objects('gpu');
    assert.equal(embedders('gpu').length, 2, 'both pools');
    for (const { name, spec } of embedders('gpu')) {
      const embedder = spec.containers.find((c) => c.name === 'embedder');
      assert.equal(embedder.resources.limits['nvidia.com/gpu'], 1, `${name}: nvidia.com/gpu limit`);
      assert.match(tagOf(embedder.image), /-cuda12$/, `${name}: CUDA image`);
      assert.equal(spec.runtimeClassName, 'nvidia', `${name}: runtimeClassName`);
      assert.ok(
        spec.tolerations.some((t) => t.key === 'nvidia.com/gpu'),
        `${name}: toleration`,
      );
      assert.ok(Object.keys(spec.nodeSelector).length > 0, `${name}: nodeSelector`);
      const config = byKindName(list, 'ConfigMap', embedder.envFrom[0].configMapRef.name);
      assert.equal(config.data.EXECUTION_PROVIDERS, 'cuda,cpu', `${name}: providers`);
      assert.ok(
        spec.initContainers?.some((c) => c.command.join(' ').includes('models pull')),
        `${name}: model pulled by an init container`,
      );
    }
  });

  test('a pool can stay on CPU while the other uses GPUs', () => {
    const list = render(['--set', 'embedder.pools.bulk.gpu.enabled=true', '--set', 'embedder.pools.bulk.gpu.count=2']);
    const limit = (name) => byKindName(list, 'Deployment', `rel-visual-search-${name}`).spec.template.spec.containers[0].resources.limits;
    assert.equal(limit('embedder-bulk')['nvidia.com/gpu'], 2);
    assert.equal(limit('embedder-interactive')['nvidia.com/gpu'], undefined);
  });

  test('CPU pools size their inference workers and threads by measurement (auto); GPU pools run one worker per GPU', () => {
    const config = (list, name) => byKindName(list, 'ConfigMap', `rel-visual-search-${name}`).data;
    const cpu = render([]);
    for (const pool of ['embedder-interactive', 'embedder-bulk']) {
      assert.equal(config(cpu, pool).INFERENCE_WORKERS, 'auto', `${pool}: workers`);
      assert.equal(config(cpu, pool).INTRA_OP_THREADS, 'auto', `${pool}: threads`);
    }
    // Shoppers' queries get a latency worker on a CPU; the bulk pool, which no shopper waits on, does not pay its memory.
    assert.equal(config(cpu, 'embedder-interactive').LATENCY_WORKER_THREADS, 'auto');
    assert.equal(config(cpu, 'embedder-bulk').LATENCY_WORKER_THREADS, '0');
    const gpu = objects('gpu');
    for (const pool of ['embedder-interactive', 'embedder-bulk']) {
      assert.equal(config(gpu, pool).INFERENCE_WORKERS, '1', `${pool}: one worker per GPU`);
      assert.equal(config(gpu, pool).INTRA_OP_THREADS, '2', `${pool}: threads feeding the GPU`);
      assert.equal(config(gpu, pool).LATENCY_WORKER_THREADS, '0', `${pool}: no latency worker on a GPU`);
    }
    // A GPU pool left on auto still reads as it runs: one worker; a CPU pool beside it keeps auto; a count given is kept.
    const mixed = render(['--set', 'embedder.pools.bulk.gpu.enabled=true', '--set', 'embedder.pools.interactive.config.inferenceWorkers=3']);
    assert.equal(config(mixed, 'embedder-bulk').INFERENCE_WORKERS, '1');
    assert.equal(config(mixed, 'embedder-interactive').INFERENCE_WORKERS, '3');
  });

  test('ingestion gets the poison-event policy from its values, and the schema refuses a policy without a try', () => {
    const config = (list) => byKindName(list, 'ConfigMap', 'rel-visual-search-ingestion').data;
    const byDefault = config(render([]));
    assert.deepEqual([byDefault.POISON_EVENT_MAX_ATTEMPTS, byDefault.POISON_EVENT_BACKOFF_MS, byDefault.POISON_EVENT_BACKOFF_MAX_MS], ['5', '1000', '30000']);
    const set = config(render(['--set', 'ingestion.poisonEvents.maxAttempts=3', '--set', 'ingestion.poisonEvents.backoffMs=250']));
    assert.equal(set.POISON_EVENT_MAX_ATTEMPTS, '3');
    assert.equal(set.POISON_EVENT_BACKOFF_MS, '250');
    const refused = helm(['template', 'rel', chartCopy, '--set', 'ingestion.poisonEvents.maxAttempts=0']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /maxAttempts/);
  });

  test('ingestion writes alt text only when describeImages is set, and refuses it without the describer', () => {
    const config = (list) => byKindName(list, 'ConfigMap', 'rel-visual-search-ingestion').data;
    assert.equal(config(render([])).DESCRIBE_IMAGES, 'false');
    assert.equal(config(render(['--set', 'ingestion.describeImages=true'])).DESCRIBE_IMAGES, 'true');
    assert.throws(
      () => render(['--set', 'ingestion.describeImages=true', '--set', 'embedder.describer.enabled=false']),
      /ingestion.describeImages needs the describer: set embedder.describer.enabled/,
    );
    const refused = helm(['template', 'rel', chartCopy, '--set-string', 'ingestion.describeImages=yes']);
    assert.notEqual(refused.status, 0, 'the schema refuses a describeImages that is not a boolean');
    assert.match(refused.stderr, /describeImages/);
  });

  test('the interactive batch cap reaches the embedder only when set, per pool', () => {
    const config = (list, name) => byKindName(list, 'ConfigMap', `rel-visual-search-${name}`).data;
    const byDefault = render([]);
    assert.equal(config(byDefault, 'embedder-interactive').MAX_BATCH_WHILE_INTERACTIVE, undefined);
    const set = render(['--set', 'embedder.config.maxBatchWhileInteractive=4', '--set', 'embedder.pools.bulk.config.maxBatchWhileInteractive=16']);
    assert.equal(config(set, 'embedder-interactive').MAX_BATCH_WHILE_INTERACTIVE, '4');
    assert.equal(config(set, 'embedder-bulk').MAX_BATCH_WHILE_INTERACTIVE, '16');
  });

  test('ingestion gets the swap gates and generation retention from values, defaults included', () => {
    const config = (list) => byKindName(list, 'ConfigMap', 'rel-visual-search-ingestion').data;
    assert.deepEqual(Object.fromEntries(Object.entries(config(render([]))).filter(([key]) => /^(GATE|RETAIN)/.test(key))), {
      GATES_ENABLED: 'true',
      GATE_MIN_PRODUCT_SHARE: '0.98',
      GATE_MAX_FAILED_IMAGE_SHARE: '0.05',
      GATE_RECALL_MARGIN: '0.02',
      GATE_CATALOG_SAMPLE: '200',
      RETAIN_GENERATIONS: '1',
      RETAIN_GENERATIONS_HOURS: '24',
    });
    const set = config(
      render([
        '--set',
        'ingestion.gates.enabled=false',
        '--set-json',
        'ingestion.gates.minProductShare=0.9',
        '--set',
        'ingestion.retention.generations=3',
        '--set',
        'ingestion.retention.hours=72',
      ]),
    );
    assert.equal(set.GATES_ENABLED, 'false');
    assert.equal(set.GATE_MIN_PRODUCT_SHARE, '0.9');
    assert.equal(set.RETAIN_GENERATIONS, '3');
    assert.equal(set.RETAIN_GENERATIONS_HOURS, '72');
  });

  test('the describer runs in every embedder pod from the image by default (even under a pulled CLIP), from the model claim when asked, and not at all when off', () => {
    const config = (list, name) => byKindName(list, 'ConfigMap', `rel-visual-search-${name}`).data;
    for (const scenario of ['default', 'gpu']) {
      for (const pool of ['embedder-interactive', 'embedder-bulk']) {
        const data = config(objects(scenario), pool);
        assert.equal(data.DESCRIBER_ENABLED, 'true', `${scenario} ${pool}`);
        assert.equal(data.DESCRIBER_MODEL_DIR, '/app/describer-models/describer-mini', `${scenario} ${pool}: baked, out of /app/models`);
        assert.equal(data.DESCRIBER_MAX_ROWS, '32');
        assert.equal(data.DESCRIBER_MIN_BULK_ROWS, undefined, 'the embedder’s default unless set');
        assert.equal(data.DESCRIBER_MAX_BULK_JOINS_WHILE_INTERACTIVE, undefined, 'the embedder’s default unless set');
      }
    }
    const fromClaim = render([
      '--set',
      'embedder.model.source=pvc',
      '--set',
      'embedder.model.pvc.existingClaim=models',
      '--set',
      'embedder.describer.model.source=models-volume',
      '--set',
      'embedder.describer.config.maxRows=1',
      '--set',
      'embedder.describer.config.minBulkRows=2',
      '--set',
      'embedder.describer.config.maxBulkJoinsWhileInteractive=3',
    ]);
    assert.equal(config(fromClaim, 'embedder-bulk').DESCRIBER_MAX_BULK_JOINS_WHILE_INTERACTIVE, '3');
    assert.equal(config(fromClaim, 'embedder-bulk').DESCRIBER_MODEL_DIR, '/app/models/describer-mini');
    assert.equal(config(fromClaim, 'embedder-bulk').DESCRIBER_MAX_ROWS, '1');
    assert.equal(config(fromClaim, 'embedder-bulk').DESCRIBER_MIN_BULK_ROWS, '2');
    const off = config(render(['--set', 'embedder.describer.enabled=false']), 'embedder-interactive');
    assert.equal(off.DESCRIBER_ENABLED, 'false');
    assert.equal(off.DESCRIBER_MODEL_DIR, undefined);
    assert.throws(
      () => render(['--set', 'embedder.describer.model.source=models-volume']),
      /embedder.describer.model.source=models-volume .* embedder.model.source=pvc/,
    );
    assert.throws(() => render(['--set', 'embedder.describer.config.maxImagesPerCall=300']), /maxImagesPerCall must not exceed maxQueue/);
    assert.throws(() => render(['--set', 'embedder.describer.config.maxRows=0']), /maxRows/, 'the schema refuses zero rows');
  });

  test('without GPU values nothing requests a GPU or runs the CUDA image', () => {
    for (const scenario of ['default', 'dev', 'keda']) {
      for (const { name, spec } of podSpecs(objects(scenario))) {
        for (const container of allContainers(spec)) {
          assert.equal(JSON.stringify(container.resources).includes('nvidia.com/gpu'), false, `${scenario} ${name}`);
          assert.doesNotMatch(container.image, /cuda/, `${scenario} ${name}`);
        }
      }
    }
  });
});

describe('embedder model source', () => {
  const embedderPod = (list) => byKindName(list, 'Deployment', 'rel-visual-search-embedder-interactive').spec.template.spec;
  const modelDirOf = (list, spec) => byKindName(list, 'ConfigMap', spec.containers[0].envFrom[0].configMapRef.name).data.MODEL_DIR;

  test('baked: the bundled model inside the image, no model volume', () => {
    const list = objects('default');
    const spec = embedderPod(list);
    assert.equal(modelDirOf(list, spec), '/app/models/clip-mini');
    assert.equal(spec.initContainers, undefined);
    assert.ok(!spec.volumes.some((v) => v.name === 'models'));
  });

  test('pvc: the claim mounted read-only at /app/models', () => {
    const list = objects('everything');
    const spec = embedderPod(list);
    assert.deepEqual(spec.volumes.find((v) => v.name === 'models').persistentVolumeClaim, { claimName: 'models', readOnly: true });
    assert.deepEqual(
      spec.containers[0].volumeMounts.find((m) => m.name === 'models'),
      { name: 'models', mountPath: '/app/models', readOnly: true },
    );
  });

  test('pull: the init container runs the real `vsearch models pull` against HF_ENDPOINT at the asked dtype, and skips a model already there at that dtype', async () => {
    const list = render(['--set', 'embedder.model.source=pull', '--set', 'embedder.model.name=clip-vit-base-patch32', '--set', 'embedder.model.pull.dtype=q8']);
    const spec = embedderPod(list);
    assert.equal(modelDirOf(list, spec), '/app/models/clip-vit-base-patch32');
    const init = spec.initContainers.find((c) => c.name === 'pull-model');
    assert.ok(init.volumeMounts.some((m) => m.name === 'models' && m.mountPath === '/app/models' && !m.readOnly));
    assert.ok(spec.containers[0].volumeMounts.some((m) => m.name === 'models' && m.readOnly));
    assert.deepEqual(
      init.env.find((variable) => variable.name === 'MODEL_DTYPE'),
      { name: 'MODEL_DTYPE', value: 'q8' },
    );
    assert.equal(
      embedderPod(render(['--set', 'embedder.model.source=pull', '--set', 'embedder.model.name=clip-vit-base-patch32'])).initContainers[0].env.find(
        (v) => v.name === 'MODEL_DTYPE',
      ).value,
      'fp32',
    );
    assert.throws(
      () => render(['--set', 'embedder.model.source=pull', '--set', 'embedder.model.name=clip-vit-base-patch32', '--set', 'embedder.model.pull.dtype=int3']),
      /dtype/,
      'the schema refuses an unknown dtype',
    );

    // Run the rendered command here, with /app/models mapped to a temporary
    // directory and a local hub that records what it is asked for.
    const modelsDir = path.join(workDir, 'pulled-models');
    mkdirSync(modelsDir, { recursive: true });
    const [shell, ...args] = init.command.map((arg) => arg.replaceAll('/app/models', modelsDir));
    const requested = [];
    const hub = createServer((request, response) => {
      requested.push(request.url);
      response.writeHead(404).end();
    });
    await new Promise((resolve) => hub.listen(0, '127.0.0.1', resolve));
    const run = () =>
      new Promise((resolve) => {
        const env = Object.fromEntries(init.env.map((variable) => [variable.name, variable.value]));
        const child = spawn(shell, args, {
          cwd: REPO_ROOT,
          env: { ...process.env, ...env, HOME: process.env.HOME, HF_ENDPOINT: `http://127.0.0.1:${hub.address().port}` },
        });
        let stderr = '';
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    try {
      const pulled = await run();
      assert.notEqual(pulled.code, 0, 'the hub answered 404, so the pull fails');
      assert.ok(
        requested.some((url) => url.includes('/Xenova/clip-vit-base-patch32/resolve/main/onnx/vision_model_quantized.onnx')),
        `hub requests: ${requested.join(', ')}\n${pulled.stderr}`,
      );
      assert.match(pulled.stderr, /has no q8 variant/);
      requested.length = 0;
      // A model in the volume at another dtype is pulled again; one at the asked dtype is kept.
      mkdirSync(path.join(modelsDir, 'clip-vit-base-patch32'));
      writeFileSync(path.join(modelsDir, 'clip-vit-base-patch32', 'model.json'), JSON.stringify({ dtype: 'fp32' }, null, 2));
      const otherDtype = await run();
      assert.notEqual(otherDtype.code, 0, otherDtype.stderr);
      assert.ok(requested.length > 0, 'a model at another dtype is pulled again');
      requested.length = 0;
      writeFileSync(path.join(modelsDir, 'clip-vit-base-patch32', 'model.json'), JSON.stringify({ dtype: 'q8' }, null, 2));
      const kept = await run();
      assert.equal(kept.code, 0, kept.stderr);
      assert.deepEqual(requested, [], 'a model already in the volume at the asked dtype is not pulled again');
    } finally {
      hub.close();
    }
  });
});

describe('model rollout (embedder.rolloutModel)', () => {
  const ROLLOUT = [
    '--set',
    'embedder.rolloutModel.enabled=true',
    '--set',
    'embedder.rolloutModel.name=clip-vit-base-patch16',
    '--set',
    'embedder.rolloutModel.memory=1.5Gi',
  ];
  const embedder = (list, pool) => byKindName(list, 'Deployment', `rel-visual-search-embedder-${pool}`).spec.template.spec;
  const configOf = (list, spec) => byKindName(list, 'ConfigMap', spec.containers[0].envFrom[0].configMapRef.name).data;

  test('loads the rollout model beside the serving one in every pool (ROLLOUT_MODEL_DIR), and nothing of it when off', () => {
    const list = render(ROLLOUT);
    for (const pool of ['interactive', 'bulk']) {
      const data = configOf(list, embedder(list, pool));
      assert.equal(data.MODEL_DIR, '/app/models/clip-mini');
      assert.equal(data.ROLLOUT_MODEL_DIR, '/app/models/clip-vit-base-patch16');
    }
    const plain = objects('default');
    assert.equal(configOf(plain, embedder(plain, 'interactive')).ROLLOUT_MODEL_DIR, undefined);
  });

  test("adds the rollout model's memory to each pool's memory request and limit, keeping CPU and GPU as they are", () => {
    const memory = (list, pool) => embedder(list, pool).containers[0].resources;
    const list = render([
      ...ROLLOUT,
      '--set',
      'embedder.pools.bulk.resources.limits.memory=3Gi',
      '--set',
      'embedder.pools.bulk.resources.requests.memory=1536Mi',
    ]);
    // The defaults: 1Gi requested, 2Gi limit; plus 1.5Gi = 1536Mi.
    assert.deepEqual(memory(list, 'interactive'), { requests: { cpu: '1', memory: '2560Mi' }, limits: { cpu: '2', memory: '3584Mi' } });
    assert.deepEqual(memory(list, 'bulk'), { requests: { cpu: '1', memory: '3072Mi' }, limits: { cpu: '2', memory: '4608Mi' } });
    const gpu = render([...ROLLOUT, '--set', 'embedder.rolloutModel.pull.model=clip-vit-base-patch16', '-f', path.join(CHART_DIR, 'values-gpu.yaml')]);
    assert.equal(memory(gpu, 'interactive').limits['nvidia.com/gpu'], 1);
  });

  test('pulls the rollout model into the same volume with a second init container, at its own dtype', () => {
    const list = render([
      ...ROLLOUT,
      '--set',
      'embedder.model.source=pull',
      '--set',
      'embedder.model.name=clip-vit-base-patch32',
      '--set',
      'embedder.rolloutModel.pull.model=clip-vit-base-patch16',
      '--set',
      'embedder.rolloutModel.pull.dtype=fp16',
    ]);
    const init = embedder(list, 'interactive').initContainers;
    assert.deepEqual(
      init.map((c) => c.name),
      ['pull-model', 'pull-rollout-model'],
    );
    const [pullModel, pullRollout] = init;
    assert.deepEqual(pullRollout.command.slice(0, 3), pullModel.command.slice(0, 3), 'the same idempotent pull command');
    assert.equal(pullRollout.command[3], 'clip-vit-base-patch16');
    assert.equal(pullRollout.env.find((v) => v.name === 'MODEL_DTYPE').value, 'fp16');
    assert.deepEqual(pullRollout.volumeMounts, pullModel.volumeMounts);
  });

  const refusals = [
    [['--set', 'embedder.rolloutModel.enabled=true'], /embedder\.rolloutModel\.enabled needs embedder\.rolloutModel\.name/],
    [
      ['--set', 'embedder.rolloutModel.enabled=true', '--set', 'embedder.rolloutModel.name=clip-mini'],
      /rolloutModel\.name is clip-mini, the serving model's name/,
    ],
    [
      ['--set', 'embedder.model.source=pull', '--set', 'embedder.rolloutModel.enabled=true', '--set', 'embedder.rolloutModel.name=next'],
      /needs embedder\.rolloutModel\.pull\.model/,
    ],
    [['--set', 'embedder.rolloutModel.memory=2GB'], /embedder\/rolloutModel\/memory/],
  ];
  for (const [args, message] of refusals) {
    test(`refuses ${args.filter((a) => !a.startsWith('--')).join(' ')}`, () => {
      const result = helm(['template', 'rel', chartCopy, ...args]);
      assert.notEqual(result.status, 0, 'the render must fail');
      assert.match(result.stderr, message);
    });
  }
});

describe('Qdrant', () => {
  const qdrantUrl = (list) => byKindName(list, 'ConfigMap', 'rel-visual-search-search')?.data.QDRANT_URL;

  test('the bundled chart is reached at its Service, an external one at its URL, none means the embedded store', () => {
    assert.equal(qdrantUrl(objects('everything')), 'http://rel-qdrant:6333');
    assert.equal(qdrantUrl(objects('gpu')), 'http://qdrant:6333');
    assert.equal(qdrantUrl(objects('default')), undefined);
    const named = render(['--set', 'qdrant.enabled=true', '--set', 'qdrant.fullnameOverride=vectors']);
    assert.equal(qdrantUrl(named), 'http://vectors:6333');
  });

  test('the Qdrant API key reaches search from the release Secret', () => {
    const list = render(['--set', 'externalQdrant.url=https://q.example:6333', '--set', 'secrets.qdrantApiKey=s3cret']);
    const secret = list.find((o) => o.kind === 'Secret');
    assert.equal(Buffer.from(secret.data['qdrant-api-key'], 'base64').toString(), 's3cret');
    const env = byKindName(list, 'Deployment', 'rel-visual-search-search').spec.template.spec.containers[0].env;
    assert.deepEqual(env.find((e) => e.name === 'QDRANT_API_KEY').valueFrom.secretKeyRef, {
      name: secret.metadata.name,
      key: 'qdrant-api-key',
      optional: true,
    });
  });
});

describe('scaling', () => {
  test('query-api has a CPU HPA by default; the interactive pool an HPA on the queue-delay Pods metric when enabled', () => {
    const hpa = byKindName(objects('default'), 'HorizontalPodAutoscaler', 'rel-visual-search-query-api');
    assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
    const embedderHpa = byKindName(objects('gpu'), 'HorizontalPodAutoscaler', 'rel-visual-search-embedder-interactive');
    assert.equal(embedderHpa.spec.metrics[0].type, 'Pods');
    assert.equal(embedderHpa.spec.metrics[0].pods.metric.name, 'embedder_interactive_queue_delay_p95_seconds');
  });

  test('KEDA scales ingestion and the bulk pool on the consumer lag, the bulk pool down to zero', () => {
    const list = objects('keda');
    const scaled = list.filter((o) => o.kind === 'ScaledObject');
    assert.deepEqual(scaled.map((o) => o.spec.scaleTargetRef.name).sort(), ['rel-visual-search-embedder-bulk', 'rel-visual-search-ingestion']);
    for (const object of scaled) {
      const [trigger] = object.spec.triggers;
      assert.equal(trigger.type, 'kafka');
      assert.equal(trigger.metadata.consumerGroup, 'vsearch-ingestion');
      assert.equal(trigger.metadata.topic, 'catalog.products.v1');
    }
    const bulk = scaled.find((o) => o.metadata.name.endsWith('embedder-bulk'));
    assert.equal(bulk.spec.minReplicaCount, 0, 'the bulk pool scales to zero');
    assert.equal(bulk.spec.triggers[0].metadata.allowIdleConsumers, 'true', 'embedder pods are not capped by the partition count');
    assert.equal(scaled.find((o) => o.metadata.name.endsWith('ingestion')).spec.triggers[0].metadata.allowIdleConsumers, undefined);
    const auth = list.find((o) => o.kind === 'TriggerAuthentication');
    const secret = list.find((o) => o.kind === 'Secret');
    for (const ref of auth.spec.secretTargetRef) {
      assert.equal(ref.name, secret.metadata.name);
      assert.ok(secret.data[ref.key], `Secret has ${ref.key}`);
    }
    assert.equal(objects('default').filter((o) => o.apiVersion.startsWith('keda.sh')).length, 0, 'KEDA is off by default');
  });
});

describe('traces', () => {
  const SERVICES = ['embedder-interactive', 'embedder-bulk', 'search', 'ingestion', 'query-api'];
  const config = (list, name) => byKindName(list, 'ConfigMap', `rel-visual-search-${name}`).data;
  const checksum = (list, name) => byKindName(list, 'Deployment', `rel-visual-search-${name}`).spec.template.metadata.annotations['checksum/config'];

  test('without an endpoint no service is told to export traces', () => {
    for (const name of SERVICES)
      assert.deepEqual(
        Object.keys(config(objects('default'), name)).filter((key) => key.startsWith('OTEL_')),
        [],
        name,
      );
  });

  test('with an endpoint every service exports to it with the sampler and resource attributes asked, and its pods roll', () => {
    const list = render([
      '--set',
      'otel.endpoint=http://otel-collector.observability:4318',
      '--set',
      'otel.sampler=parentbased_traceidratio',
      '--set-string',
      'otel.samplerArg=0.1',
      '--set',
      'otel.resourceAttributes.deployment\\.environment\\.name=prod',
      '--set',
      'otel.resourceAttributes.cloud\\.region=eu-west-1',
    ]);
    for (const name of SERVICES) {
      assert.deepEqual(
        Object.fromEntries(Object.entries(config(list, name)).filter(([key]) => key.startsWith('OTEL_'))),
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.1',
          OTEL_RESOURCE_ATTRIBUTES: 'cloud.region=eu-west-1,deployment.environment.name=prod',
        },
        name,
      );
      assert.notEqual(checksum(list, name), checksum(objects('default'), name), `${name}: pods roll when tracing changes`);
    }
  });
});

describe('wrong values fail with a message naming them', () => {
  const cases = [
    [['--set-string', 'queryApi.replicas=two'], /queryApi\/replicas.*want integer/],
    [['--set', 'queryApi.replica=2'], /additional properties 'replica' not allowed/],
    [['--set', 'embedder.image.tag=latest'], /image tag is "latest": pin a version/],
    [['--set', 'ingestion.keda.enabled=true'], /ingestion\.keda\.enabled needs kafka\.brokers/],
    [['--set', 'embedder.pools.bulk.keda.enabled=true'], /bulk\.keda\.enabled needs kafka\.brokers/],
    [['--set', 'embedder.gpu.enabled=true', '--set', 'embedder.image.tag=1.2.3'], /needs embedder\.gpu\.image\.tag/],
    [['--set', 'search.replicas=2'], /search\.replicas > 1.*needs Qdrant/],
    [['--set', 'embedder.model.source=pvc'], /needs embedder\.model\.pvc\.existingClaim/],
    [['--set', 'embedder.model.source=s3'], /embedder\/model\/source/],
    [['--set', 'podSecurityContext.runAsNonRoot=false'], /podSecurityContext\/runAsNonRoot/],
    [['--set', 'kafka.brokers[0]=no-port'], /kafka\/brokers\/0/],
    [['--set', 'kafka.brokers[0]=k:9092', '--set', 'kafka.sasl.enabled=true'], /kafka\.sasl\.enabled needs credentials/],
    [['--set', 'queryApi.ingress.enabled=true'], /needs at least one entry in queryApi\.ingress\.hosts/],
    [['--set', 'qdrant.enabled=true', '--set', 'externalQdrant.url=http://q:6333'], /choose the bundled Qdrant chart or an external URL/],
    [['--set', 'embedder.pools.interactive.resources.limits.memory=lots'], /limits\/memory/],
    [['--set', 'embedder.config.inferenceWorkers=0'], /embedder\/config\/inferenceWorkers/],
    [['--set-string', 'embedder.config.intraOpThreads=many'], /embedder\/config\/intraOpThreads/],
    [['--set', 'otel.endpoint=otel-collector:4318'], /otel\/endpoint/],
    [['--set', 'otel.sampler=sometimes'], /otel\/sampler/],
  ];
  for (const [args, message] of cases) {
    test(args.filter((a) => !a.startsWith('--')).join(' '), () => {
      const result = helm(['template', 'rel', chartCopy, ...args]);
      assert.notEqual(result.status, 0, 'the render must fail');
      assert.match(result.stderr, message);
    });
  }
});

describe('Dockerfiles', () => {
  const dockerfiles = [
    ...readdirSync(path.join(REPO_ROOT, 'services')).map((service) => `services/${service}/Dockerfile`),
    'services/embedder/Dockerfile.cuda',
  ];
  const hadolint = (files) =>
    spawnSync(path.join(TOOLS_BIN, 'hadolint'), ['--no-color', '--config', path.join(REPO_ROOT, '.hadolint.yaml'), ...files], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });

  test('hadolint finds nothing (infos included) in any of them', () => {
    assert.equal(dockerfiles.length, 5);
    const result = hadolint(dockerfiles);
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });

  test('hadolint with this configuration does fail a bad Dockerfile (the check can fail)', () => {
    const bad = path.join(workDir, 'Dockerfile.bad');
    writeFileSync(bad, 'FROM node:latest\nRUN npm install\nCMD ["node"]\n');
    const result = hadolint([bad]);
    assert.notEqual(result.status, 0);
    assert.match(result.stdout, /DL3007/);
  });

  for (const file of dockerfiles) {
    test(`${file}: multi-stage, production dependencies only, pinned Node LTS, numeric non-root user`, () => {
      const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      assert.ok((text.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
      assert.match(text, /npm ci --omit=dev/);
      assert.match(text, /^ARG NODE_VERSION=(2[4-9]|[3-9]\d)\.\d+\.\d+$/m, 'a pinned, even-numbered (LTS) Node.js');
      assert.equal(Number(text.match(/^ARG NODE_VERSION=(\d+)/m)[1]) % 2, 0, 'LTS lines are even');
      const users = text.match(/^USER (.+)$/gm) ?? [];
      assert.match(users.at(-1), /^USER [1-9]\d*:[1-9]\d*$/, 'last USER is a numeric non-root uid:gid');
      assert.match(text, /^HEALTHCHECK /m);
      if (file.endsWith('.cuda')) {
        assert.match(text, /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/);
        assert.match(text, /^ARG CUDA_IMAGE=nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/m);
        assert.match(text, /EXECUTION_PROVIDERS=cuda,cpu/);
      }
    });
  }
});
