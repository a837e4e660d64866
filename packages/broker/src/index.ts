export {};
export * from './log/index.ts';
