// Jest's node environment gives each test file its own typed-array
// constructors, but native addons (onnxruntime-node) create their outputs with
// the process's own ones, so onnxruntime's `instanceof Float32Array` check
// rejects every inference result inside jest. Share the process's typed
// arrays with the sandbox (jest already does this for Uint8Array).
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class SharedTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = SharedTypedArraysEnvironment;
