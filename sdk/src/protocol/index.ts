export * from './modes.js';
export * from './stats.js';
