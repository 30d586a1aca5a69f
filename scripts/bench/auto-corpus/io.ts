import { fox } from '@fox/sdk';
import { backend } from './work.js';

/** I/O-bound tasks: each call waits on the shared contended backend; almost no compute. */
const o = (id: string) => ({ mode: 'auto' as const, id: `corpus/io/${id}`, lane: 'db' });
export const getUser = fox(o('getUser'), async function getUser(ms: number) {
  return backend(ms);
});
export const getOrders = fox(o('getOrders'), async function getOrders(ms: number) {
  return backend(ms);
});
export const saveEvent = fox(o('saveEvent'), async function saveEvent(ms: number) {
  return backend(ms);
});
export const twoQueries = fox(o('twoQueries'), async function twoQueries(ms: number) {
  return (await backend(ms)) + (await backend(ms));
});
export const cacheMiss = fox(o('cacheMiss'), async function cacheMiss(ms: number) {
  return backend(ms);
});
export const slowReport = fox(o('slowReport'), async function slowReport(ms: number) {
  return backend(ms);
});
export const healthCheck = fox(o('healthCheck'), async function healthCheck(ms: number) {
  return backend(ms);
});
export const fanOutFetch = fox(o('fanOutFetch'), async function fanOutFetch(ms: number) {
  return backend(ms);
});
export const bulkRead = fox(o('bulkRead'), async function bulkRead(ms: number) {
  return backend(ms);
});
export const singleLookup = fox(o('singleLookup'), async function singleLookup(ms: number) {
  return backend(ms);
});
