import { fox } from '@fox/sdk';
import * as w from './work.js';

/** CPU-bound tasks: each call computes for ≈1–5 ms and never waits. */
const o = (id: string) => ({ mode: 'auto' as const, id: `corpus/cpu/${id}` });
export const shaChain = fox(o('shaChain'), async function shaChain(kb: number) {
  return w.sha(kb, 8);
});
export const jsonRoundTrip = fox(o('jsonRoundTrip'), async function jsonRoundTrip(n: number) {
  return w.json(n);
});
export const sortLarge = fox(o('sortLarge'), async function sortLarge(n: number) {
  return w.sortNums(n);
});
export const regexScan = fox(o('regexScan'), async function regexScan(n: number) {
  return w.regex(n);
});
export const primeSieve = fox(o('primeSieve'), async function primeSieve(n: number) {
  return w.sieve(n);
});
export const matrix = fox(o('matrix'), async function matrix(n: number) {
  return w.matmul(n);
});
export const editDistance = fox(o('editDistance'), async function editDistance(n: number) {
  return w.levenshtein(n);
});
export const compress = fox(o('compress'), async function compress(kb: number) {
  return w.deflate(kb);
});
export const encode64 = fox(o('encode64'), async function encode64(kb: number) {
  return w.base64(kb);
});
export const fibonacci = fox(o('fibonacci'), async function fibonacci(n: number) {
  return w.fib(n);
});
export const hashBatch = fox(o('hashBatch'), async function hashBatch(kb: number) {
  return w.sha(kb, 3);
});
export const sortMedium = fox(o('sortMedium'), async function sortMedium(n: number) {
  return w.sortNums(n);
});
