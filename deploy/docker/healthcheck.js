#!/usr/bin/env node
// Container HEALTHCHECK for the images (Docker and Compose; Kubernetes uses the
// chart's probes instead). Exits 0 when the service answers healthy:
//   node deploy/docker/healthcheck.js http <port> [path]   -> GET http://127.0.0.1:<port><path> is 2xx
//   node deploy/docker/healthcheck.js grpc <port>          -> grpc.health.v1 Check('') is SERVING
// <port> is a number or the name of the environment variable holding it
// (QUERY_API_PORT, ...), so the check follows a port changed at run time.
// Uses only the images' production dependencies; never waits more than 3 s.
'use strict';

const [, , kind, portArg, path = '/healthz'] = process.argv;
const port = Number(/^\d+$/.test(portArg ?? '') ? portArg : process.env[portArg ?? '']);
const deadlineMs = 3000;

function exit(healthy, reason) {
  if (!healthy) console.error(`unhealthy: ${reason}`);
  process.exit(healthy ? 0 : 1);
}

if (!Number.isInteger(port) || port <= 0 || (kind !== 'http' && kind !== 'grpc')) {
  exit(false, 'usage: healthcheck.js <http|grpc> <port> [path]');
}

if (kind === 'http') {
  fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(deadlineMs) }).then(
    (response) => exit(response.ok, `HTTP ${response.status}`),
    (error) => exit(false, error.message),
  );
} else {
  const grpc = require('@grpc/grpc-js');
  const { service } = require('grpc-health-check');
  const HealthClient = grpc.makeGenericClientConstructor(service, 'Health');
  const client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  client.check({ service: '' }, { deadline: Date.now() + deadlineMs }, (error, response) => {
    if (error) exit(false, error.message);
    else exit(response.status === 'SERVING' || response.status === 1, `status ${response.status}`);
  });
}
