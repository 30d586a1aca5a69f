import { fox } from '@fox/sdk';
import * as w from './work.js';

/** Mixed tasks: some compute and some waiting, in different proportions. */
const o = (id: string) => ({ mode: 'auto' as const, id: `corpus/mixed/${id}`, lane: 'db' });
export const fetchThenParse = fox(o('fetchThenParse'), async function fetchThenParse(n: number) {
  await w.backend(2);
  return w.json(n);
});
export const hashThenStore = fox(o('hashThenStore'), async function hashThenStore(kb: number) {
  const d = w.sha(kb, 6);
  await w.backend(2);
  return d;
});
export const renderPage = fox(o('renderPage'), async function renderPage(n: number) {
  await w.backend(10);
  return w.regex(n);
});
export const enrich = fox(o('enrich'), async function enrich(n: number) {
  const x = w.sortNums(n);
  await w.backend(15);
  return x;
});
export const thumbnail = fox(o('thumbnail'), async function thumbnail(n: number) {
  await w.backend(1);
  return w.matmul(n);
});
export const validateAndSave = fox(o('validateAndSave'), async function validateAndSave(n: number) {
  w.regex(n);
  return w.backend(20);
});
export const compressUpload = fox(o('compressUpload'), async function compressUpload(kb: number) {
  const c = w.deflate(kb);
  await w.backend(3);
  return c;
});
export const auditLog = fox(o('auditLog'), async function auditLog(n: number) {
  w.json(n);
  return w.backend(12);
});
