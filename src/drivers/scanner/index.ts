export * from './settings.ts';
export * from './classify.ts';
export * from './line-splitter.ts';
export * from './stale-guard.ts';
export * from './driver.ts';
