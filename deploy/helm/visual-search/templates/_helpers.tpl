{{/*
Names, labels and the small pieces every workload shares. Selector labels
(name, instance, component) are kept apart from the common labels, and custom
labels (`commonLabels`) never reach a selector: a selector is immutable, labels
are not (bitnami common/_labels.tpl).
*/}}

{{- define "vs.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vs.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one component's objects: (dict "ctx" $ "component" "query-api") */}}
{{- define "vs.componentName" -}}
{{- printf "%s-%s" (include "vs.fullname" .ctx | trunc 45 | trimSuffix "-") .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: (dict "ctx" $ "component" "embedder-interactive") */}}
{{- define "vs.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vs.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Common labels: selector labels + chart metadata + commonLabels. */}}
{{- define "vs.labels" -}}
{{ include "vs.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: {{ include "vs.name" .ctx }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* metadata block of a namespaced object: (dict "ctx" $ "component" "x" "name" "optional-name") */}}
{{- define "vs.metadata" -}}
name: {{ default (include "vs.componentName" .) .name }}
namespace: {{ .ctx.Release.Namespace }}
labels:
  {{- include "vs.labels" . | nindent 2 }}
{{- with .ctx.Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Image reference: (dict "ctx" $ "service" "embedder" "image" .Values.embedder.image) */}}
{{- define "vs.image" -}}
{{- $global := .ctx.Values.image -}}
{{- $repository := default (printf "%s/%s" $global.repositoryPrefix .service) .image.repository -}}
{{- $tag := default (default .ctx.Chart.AppVersion $global.tag) .image.tag | toString -}}
{{- if eq $tag "latest" -}}
{{- fail (printf "the %s image tag is \"latest\": pin a version (image.tag or <service>.image.tag), so every pod runs the same build" .service) -}}
{{- end -}}
{{- if $global.registry -}}
{{- printf "%s/%s:%s" $global.registry $repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The embedder image of a pool: the CUDA image when the pool's GPU is on. (dict "ctx" $ "gpu" $pool.gpu) */}}
{{- define "vs.embedderImage" -}}
{{- $e := .ctx.Values.embedder -}}
{{- if .gpu.enabled -}}
{{- $cpuTag := default (default .ctx.Chart.AppVersion .ctx.Values.image.tag) $e.image.tag | toString -}}
{{- $image := dict "repository" (default $e.image.repository .gpu.image.repository) "tag" (default (printf "%s-cuda12" $cpuTag) .gpu.image.tag) -}}
{{- include "vs.image" (dict "ctx" .ctx "service" "embedder" "image" $image) -}}
{{- else -}}
{{- include "vs.image" (dict "ctx" .ctx "service" "embedder" "image" $e.image) -}}
{{- end -}}
{{- end -}}

{{/*
Resources with the GPU intent merged into the limits:
(dict "resources" $pool.resources "gpu" $pool.gpu). Extended resources are
requested through limits (requests default to them); a GPU is never shared.
*/}}
{{- define "vs.resources" -}}
{{- $resources := deepCopy (default dict .resources) -}}
{{- if and .gpu .gpu.enabled -}}
{{- $limits := default dict (get $resources "limits") -}}
{{- $_ := set $limits .gpu.resource (int .gpu.count) -}}
{{- $_ := set $resources "limits" $limits -}}
{{- end -}}
{{- toYaml $resources -}}
{{- end -}}

{{/*
An init container that pulls a model into the models volume with the real `vsearch models pull`.
Idempotent: a model already in the volume (a persistent claim) at the asked dtype is kept; another
dtype is replaced (--force; never while an embedder uses it). `vsearch models pull` verifies sha256s
and moves the directory into place only when complete. `pull` gives the shared extraEnv and resources.
(dict "ctx" $ "gpu" $gpu "name" "pull-model" "model" "clip-vit-base-patch32" "dtype" "fp32" "extraArgs" (list) "pull" $e.model.pull)
*/}}
{{- define "vs.pullModelContainer" -}}
- name: {{ .name }}
  image: {{ include "vs.embedderImage" (dict "ctx" .ctx "gpu" .gpu) }}
  {{- include "vs.containerCommon" .ctx | nindent 2 }}
  command:
    - sh
    - -c
    - 'grep -qs "\"dtype\": \"$MODEL_DTYPE\"" "/app/models/$0/model.json" || exec node tools/cli/bin/vsearch.js models pull "$0" --dir /app/models --dtype "$MODEL_DTYPE" --force "$@"'
    - {{ .model | quote }}
    {{- range .extraArgs }}
    - {{ . | quote }}
    {{- end }}
  env:
    - name: HOME
      value: /tmp
    - name: MODEL_DTYPE
      value: {{ .dtype | quote }}
    {{- with .pull.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  resources:
    {{- toYaml .pull.resources | nindent 4 }}
  volumeMounts:
    - name: models
      mountPath: /app/models
    - name: tmp
      mountPath: /tmp
{{- end -}}

{{/* A memory quantity (Ki, Mi or Gi; decimals allowed) in whole MiB, for adding quantities. */}}
{{- define "vs.memoryMi" -}}
{{- $q := toString . -}}
{{- if hasSuffix "Gi" $q -}}{{ int (mulf (float64 (trimSuffix "Gi" $q)) 1024) }}
{{- else if hasSuffix "Mi" $q -}}{{ int (float64 (trimSuffix "Mi" $q)) }}
{{- else if hasSuffix "Ki" $q -}}{{ int (divf (float64 (trimSuffix "Ki" $q)) 1024) }}
{{- else -}}{{ fail (printf "memory %q: write it in Ki, Mi or Gi to add the rollout model's memory to it" $q) }}
{{- end -}}
{{- end -}}

{{/*
An embedder pool's resources while a model rollout is configured: embedder.rolloutModel.memory
added to the memory request and limit (each set one), since the pod holds both models' sessions.
(dict "resources" $pool.resources "rollout" $e.rolloutModel)
*/}}
{{- define "vs.embedderResources" -}}
{{- $resources := deepCopy (default dict .resources) -}}
{{- if .rollout.enabled -}}
{{- $extra := int (include "vs.memoryMi" .rollout.memory) -}}
{{- range $kind := list "requests" "limits" -}}
{{- $entries := get $resources $kind -}}
{{- if and $entries (hasKey $entries "memory") -}}
{{- $_ := set $entries "memory" (printf "%dMi" (add (int (include "vs.memoryMi" (get $entries "memory"))) $extra)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $resources -}}
{{- end -}}

{{- define "vs.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "vs.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "vs.secretName" -}}
{{- default (include "vs.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* An env entry from the release Secret; optional, so an existing Secret may lack the key. (dict "ctx" $ "name" "ENV" "key" "k") */}}
{{- define "vs.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "vs.secretName" .ctx }}
      key: {{ .key }}
      optional: true
{{- end -}}

{{/* Qdrant URL: the bundled chart's Service, or the external URL, or empty (embedded store). */}}
{{- define "vs.qdrantUrl" -}}
{{- if .Values.qdrant.enabled -}}
{{- /* The Service of the official chart is its fullname (same rule as ours). */ -}}
{{- $qdrant := .Values.qdrant.fullnameOverride | default (ternary .Release.Name (printf "%s-qdrant" .Release.Name) (contains "qdrant" .Release.Name)) -}}
{{- printf "http://%s:6333" ($qdrant | trunc 63 | trimSuffix "-") -}}
{{- else -}}
{{- .Values.externalQdrant.url -}}
{{- end -}}
{{- end -}}

{{/* gRPC target of an embedder pool's headless Service: dns:/// + round_robin in the clients spreads calls over every pod. */}}
{{- define "vs.embedderAddr" -}}
{{- $pool := .pool -}}
{{- if and (eq $pool "bulk") (not .ctx.Values.embedder.pools.bulk.enabled) -}}
{{- $pool = "interactive" -}}
{{- end -}}
{{- printf "dns:///%s:%d" (include "vs.componentName" (dict "ctx" .ctx "component" (printf "embedder-%s" $pool))) (int .ctx.Values.embedder.port) -}}
{{- end -}}

{{- define "vs.searchAddr" -}}
{{- printf "dns:///%s:%d" (include "vs.componentName" (dict "ctx" . "component" "search")) (int .Values.search.port) -}}
{{- end -}}

{{- define "vs.ingestionUrl" -}}
{{- printf "http://%s:%d" (include "vs.componentName" (dict "ctx" . "component" "ingestion")) (int .Values.ingestion.port) -}}
{{- end -}}

{{/* Kafka settings as ConfigMap data (no secrets here). */}}
{{- define "vs.kafkaConfig" -}}
{{- with .Values.kafka }}
{{- if .brokers }}
KAFKA_BROKERS: {{ join "," .brokers | quote }}
KAFKA_TLS: {{ .tls.enabled | quote }}
{{- if .sasl.enabled }}
KAFKA_SASL_MECHANISM: {{ .sasl.mechanism | quote }}
{{- end }}
{{- end }}
TOPIC_PREFIX: {{ .topicPrefix | quote }}
{{- end }}
{{- end -}}

{{/* Settings every service reads: log level and, with an OTLP endpoint, trace export. */}}
{{- define "vs.commonConfig" -}}
LOG_LEVEL: {{ .Values.logLevel | quote }}
{{- with .Values.otel }}
{{- if .endpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ .endpoint | quote }}
OTEL_TRACES_SAMPLER: {{ .sampler | quote }}
{{- with .samplerArg }}
OTEL_TRACES_SAMPLER_ARG: {{ . | quote }}
{{- end }}
{{- with .resourceAttributes }}
{{- $pairs := list }}
{{- range $key, $value := . }}
{{- $pairs = append $pairs (printf "%s=%v" $key $value) }}
{{- end }}
OTEL_RESOURCE_ATTRIBUTES: {{ join "," $pairs | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Pod-level pieces shared by every workload. */}}
{{- define "vs.podCommon" -}}
serviceAccountName: {{ include "vs.serviceAccountName" .ctx }}
automountServiceAccountToken: {{ .ctx.Values.serviceAccount.automountServiceAccountToken }}
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with .ctx.Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- if .ctx.Values.topologySpread.enabled }}
topologySpreadConstraints:
  {{- range .ctx.Values.topologySpread.topologyKeys }}
  - maxSkew: {{ $.ctx.Values.topologySpread.maxSkew }}
    topologyKey: {{ . }}
    whenUnsatisfiable: {{ $.ctx.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "vs.selectorLabels" (dict "ctx" $.ctx "component" $.component) | nindent 8 }}
  {{- end }}
{{- end }}
{{- with .values.runtimeClassName }}
runtimeClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
terminationGracePeriodSeconds: {{ .values.terminationGracePeriodSeconds }}
{{- end -}}

{{/* Container-level pieces: image pull policy and securityContext. */}}
{{- define "vs.containerCommon" -}}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end -}}

{{/* The /tmp emptyDir (read-only root filesystem). */}}
{{- define "vs.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{/* Probes: (dict "kind" "grpc"|"http" "port" N "path" "/healthz" "probes" $values.probes) */}}
{{- define "vs.probes" -}}
{{- $handler := dict -}}
{{- if eq .kind "grpc" -}}
{{- $handler = dict "grpc" (dict "port" (int .port) "service" "") -}}
{{- else -}}
{{- $handler = dict "httpGet" (dict "path" .path "port" "http") -}}
{{- end -}}
{{- $ready := .readyPath | default .path -}}
startupProbe:
  {{- toYaml (merge (deepCopy $handler) .probes.startup) | nindent 2 }}
livenessProbe:
  {{- toYaml (merge (deepCopy $handler) .probes.liveness) | nindent 2 }}
readinessProbe:
  {{- if eq .kind "grpc" }}
  {{- toYaml (merge (deepCopy $handler) .probes.readiness) | nindent 2 }}
  {{- else }}
  {{- toYaml (merge (dict "httpGet" (dict "path" $ready "port" "http")) .probes.readiness) | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* checksum annotation so pods roll when their ConfigMap or Secret changes */}}
{{- define "vs.checksum" -}}
checksum/config: {{ .content | sha256sum }}
{{- end -}}

{{/* Kafka credentials from the release Secret (only with SASL). */}}
{{- define "vs.kafkaSecretEnv" -}}
{{- if and .Values.kafka.brokers .Values.kafka.sasl.enabled }}
{{ include "vs.secretEnv" (dict "ctx" . "name" "KAFKA_SASL_USERNAME" "key" .Values.secrets.keys.kafkaSaslUsername) }}
{{ include "vs.secretEnv" (dict "ctx" . "name" "KAFKA_SASL_PASSWORD" "key" .Values.secrets.keys.kafkaSaslPassword) }}
{{- end }}
{{- end -}}

{{/* KEDA's name of a SASL mechanism. */}}
{{- define "vs.kedaSasl" -}}
{{- get (dict "plain" "plaintext" "scram-sha-256" "scram_sha256" "scram-sha-512" "scram_sha512") . -}}
{{- end -}}

{{/*
KEDA ScaledObject on the ingestion consumer group's lag over the catalog
topic: (dict "ctx" $ "component" "ingestion" "target" deploymentName "keda" $values.keda).
Ingestion and the bulk embedder pool read the same lag: the backlog that
ingestion must fetch, decode and have embedded.
*/}}
{{- define "vs.kafkaScaledObject" -}}
{{- $k := .ctx.Values.kafka -}}
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  {{- include "vs.metadata" (dict "ctx" .ctx "component" .component) | nindent 2 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ .target }}
  minReplicaCount: {{ .keda.minReplicaCount }}
  maxReplicaCount: {{ .keda.maxReplicaCount }}
  pollingInterval: {{ .keda.pollingInterval }}
  cooldownPeriod: {{ .keda.cooldownPeriod }}
  triggers:
    - type: kafka
      metadata:
        bootstrapServers: {{ join "," $k.brokers | quote }}
        consumerGroup: {{ $k.consumerGroup | quote }}
        topic: {{ printf "%scatalog.products.v1" $k.topicPrefix | quote }}
        lagThreshold: {{ .keda.lagThreshold | quote }}
        activationLagThreshold: {{ .keda.activationLagThreshold | quote }}
        offsetResetPolicy: earliest
        {{- if .notConsumer }}
        # Embedder pods are not consumers: their count is not capped by the partitions.
        allowIdleConsumers: "true"
        {{- end }}
        tls: {{ ternary "enable" "disable" $k.tls.enabled | quote }}
        sasl: {{ ternary (include "vs.kedaSasl" $k.sasl.mechanism) "none" $k.sasl.enabled | quote }}
      {{- if $k.sasl.enabled }}
      authenticationRef:
        name: {{ include "vs.componentName" (dict "ctx" .ctx "component" "kafka") }}
      {{- end }}
{{- end -}}

{{/* PodDisruptionBudget: (dict "ctx" $ "component" "search" "pdb" $values.pdb) */}}
{{- define "vs.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  {{- include "vs.metadata" (dict "ctx" .ctx "component" .component) | nindent 2 }}
spec:
  {{- if not (kindIs "invalid" .pdb.minAvailable) }}
  minAvailable: {{ .pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "vs.selectorLabels" (dict "ctx" .ctx "component" .component) | nindent 6 }}
{{- end -}}

{{/* CPU HorizontalPodAutoscaler: (dict "ctx" $ "component" "query-api" "autoscaling" $values.autoscaling) */}}
{{- define "vs.cpuHpa" -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  {{- include "vs.metadata" (dict "ctx" .ctx "component" .component) | nindent 2 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "vs.componentName" . }}
  minReplicas: {{ .autoscaling.minReplicas }}
  maxReplicas: {{ .autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .autoscaling.targetCPUUtilizationPercentage }}
{{- end -}}

{{- define "vs.ingestionConfig" -}}
{{ include "vs.commonConfig" . }}
INGESTION_PORT: {{ .Values.ingestion.port | quote }}
DATA_DIR: /data
CONSUMER_GROUP: {{ .Values.kafka.consumerGroup | quote }}
EMBEDDER_ADDR: {{ include "vs.embedderAddr" (dict "ctx" . "pool" "bulk") | quote }}
SEARCH_ADDR: {{ include "vs.searchAddr" . | quote }}
POISON_EVENT_MAX_ATTEMPTS: {{ .Values.ingestion.poisonEvents.maxAttempts | quote }}
POISON_EVENT_BACKOFF_MS: {{ .Values.ingestion.poisonEvents.backoffMs | quote }}
POISON_EVENT_BACKOFF_MAX_MS: {{ .Values.ingestion.poisonEvents.backoffMaxMs | quote }}
DESCRIBE_IMAGES: {{ .Values.ingestion.describeImages | quote }}
{{- with .Values.imageFetchAllowHosts }}
IMAGE_FETCH_ALLOW_HOSTS: {{ join "," . | quote }}
{{- end }}
{{- with .Values.ingestion.gates }}
GATES_ENABLED: {{ .enabled | quote }}
GATE_MIN_PRODUCT_SHARE: {{ .minProductShare | quote }}
GATE_MAX_FAILED_IMAGE_SHARE: {{ .maxFailedImageShare | quote }}
GATE_RECALL_MARGIN: {{ .recallMargin | quote }}
GATE_CATALOG_SAMPLE: {{ .catalogSample | quote }}
{{- end }}
{{- with .Values.ingestion.retention }}
RETAIN_GENERATIONS: {{ .generations | quote }}
RETAIN_GENERATIONS_HOURS: {{ .hours | quote }}
{{- end }}
{{- include "vs.kafkaConfig" . }}
{{- end -}}

{{- define "vs.queryApiConfig" -}}
{{ include "vs.commonConfig" . }}
QUERY_API_PORT: {{ .Values.queryApi.port | quote }}
DATA_DIR: /data
EMBEDDER_ADDR: {{ include "vs.embedderAddr" (dict "ctx" . "pool" "interactive") | quote }}
SEARCH_ADDR: {{ include "vs.searchAddr" . | quote }}
INGESTION_URL: {{ include "vs.ingestionUrl" . | quote }}
TRUST_PROXY: {{ .Values.queryApi.trustProxy | quote }}
{{- with .Values.imageFetchAllowHosts }}
IMAGE_FETCH_ALLOW_HOSTS: {{ join "," . | quote }}
{{- end }}
{{- include "vs.kafkaConfig" . }}
{{- end -}}
