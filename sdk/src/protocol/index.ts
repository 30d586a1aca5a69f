export * from './modes.js';
export * from './stats.js';
export * from './wire.js';
