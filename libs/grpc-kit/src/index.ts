export * from './server';
export * from './errors';
export * from './unary';
export * from './client';
export * from './float32-wire';
export * from './tracing';
