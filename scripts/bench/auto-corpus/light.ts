import { fox } from '@fox/sdk';

/** Light tasks: microseconds of work, no waiting. */
const o = (id: string) => ({ mode: 'auto' as const, id: `corpus/light/${id}` });
export const add = fox(o('add'), async function add(a: number, b: number) {
  return a + b;
});
export const greet = fox(o('greet'), async function greet(name: string) {
  return `hello ${name.trim()}!`;
});
export const pick = fox(
  o('pick'),
  async function pick(o2: { id: number; name: string; x: number }) {
    return { id: o2.id, name: o2.name };
  },
);
export const parseSmall = fox(o('parseSmall'), async function parseSmall(s: string) {
  return (JSON.parse(s) as { n: number }).n;
});
export const clamp = fox(o('clamp'), async function clamp(x: number) {
  return Math.min(100, Math.max(0, x));
});
export const isEmail = fox(o('isEmail'), async function isEmail(s: string) {
  return /^[^@\s]+@[^@\s]+\.[a-z]+$/.test(s);
});
export const lookup = fox(o('lookup'), async function lookup(k: string) {
  return TABLE.get(k) ?? -1;
});
export const slug = fox(o('slug'), async function slug(s: string) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
});
export const sumSmall = fox(o('sumSmall'), async function sumSmall(xs: number[]) {
  return xs.reduce((a, b) => a + b, 0);
});
export const formatPrice = fox(o('formatPrice'), async function formatPrice(c: number) {
  return `$${(c / 100).toFixed(2)}`;
});
const TABLE = new Map(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
