/**
 * Process-wide state shared by every copy of the sdk in the process. A program that imports the
 * ESM build and a dependency that requires the CJS build get two copies of every module, each
 * with its own module variables; state kept in one of them (a proposal handler, the chaos kill
 * switch, a registry) would be invisible to tasks created through the other. So every piece of
 * process-wide state lives in a slot of one object on `globalThis`, under a registered symbol
 * that both copies (and any realm of the process) resolve to the same key.
 *
 * Slots are created by whichever copy asks first. Their shapes are part of the contract between
 * copies: change one only together with its name (e.g. `chaos.kill.v2`).
 */

const KEY = Symbol.for('fox.process.v1');

type Slots = Record<string, unknown>;

function slots(): Slots {
  const g = globalThis as { [KEY]?: Slots };
  return (g[KEY] ??= Object.create(null) as Slots);
}

/**
 * The process's slot `name`, created with `create()` the first time any copy asks for it.
 * Callers keep the returned object (never a copy of its fields), so every copy reads and writes
 * the same state.
 */
export function processSlot<T extends object>(name: string, create: () => T): T {
  const all = slots();
  let slot = all[name] as T | undefined;
  if (slot === undefined) all[name] = slot = create();
  return slot;
}
