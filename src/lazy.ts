/**
 * Makes `target[key]` computed on first read, then an ordinary data property. Used for the parts
 * of a large state that most plans never read (see lazy-state.ts): to every reader, including
 * spreads, JSON.stringify and structuredClone, it is a plain property.
 */
export function defineLazy<T extends object>(target: T, key: PropertyKey, compute: () => unknown): void {
  const settle = (value: unknown) => {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    return value;
  };
  Object.defineProperty(target, key, {
    get: () => settle(compute()),
    set: settle,
    enumerable: true,
    configurable: true,
  });
}
