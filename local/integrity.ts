/**
 * Prototype pollution check for the local runtime: the built-in prototypes as they were
 * when this module loaded (before any handler ran), and what has been added to them
 * since. /_local/status reports it, so a test that sent `__proto__`, `constructor` and
 * `prototype` keys can check the process it sent them to.
 */
const PROTOTYPES: Record<string, object> = {
  Object: Object.prototype,
  Array: Array.prototype,
  Function: Function.prototype,
  String: String.prototype,
};

const BASELINE = new Map(
  Object.entries(PROTOTYPES).map(([name, proto]) => [name, new Set(Reflect.ownKeys(proto))]),
);

/** `Object.prototype.polluted`, ...: properties added to a built-in prototype since start-up. */
export function prototypeAdditions(): string[] {
  const added: string[] = [];
  for (const [name, proto] of Object.entries(PROTOTYPES)) {
    const known = BASELINE.get(name);
    for (const key of Reflect.ownKeys(proto)) {
      if (!known?.has(key)) added.push(`${name}.prototype.${String(key)}`);
    }
  }
  return added;
}
