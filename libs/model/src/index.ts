export * from './manifest';
export * from './runtime';
export * from './pull';
export * from './eval';
