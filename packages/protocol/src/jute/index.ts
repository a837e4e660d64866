export * from './codec.ts';
export * from './constants.ts';
export * from './records.ts';
export * from './multi.ts';
export * from './frame.ts';
