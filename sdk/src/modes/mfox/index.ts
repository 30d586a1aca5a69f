export { io, type FoxIo } from './io.js';
export { BUILTIN_LANES, LanesOptionsSchema, type LanesOptions } from './lane-options.js';
export { Lane, type LaneStats } from './lane.js';
export { LaneRegistry, lanes } from './lanes.js';
export { MfoxStrategy } from './mfox-strategy.js';
