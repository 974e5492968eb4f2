/**
 * Parameter trees: plain objects and arrays of jax-js Arrays.
 *
 * Ownership follows jax-js: a function consumes its array arguments; `tree.ref(t)` keeps a
 * tree alive for one more use, `tree.dispose(t)` releases it.
 */
import { Array as JArray, tree, type JsTree } from "../jax.js";
import { NoetherError } from "./errors.js";

/** A parameter tree: nested plain objects/arrays whose leaves are jax-js Arrays. */
export type Params = JsTree<JArray>;

/**
 * Flattens a tree into `[path, leaf]` pairs with dotted paths (`"layers.0.w"`), in a stable
 * order (object keys sorted). Borrows the leaves: nothing is consumed.
 */
export function flattenWithPaths<T>(t: JsTree<T>, isLeaf: (x: unknown) => boolean = isArrayLeaf): [string, T][] {
  const out: [string, T][] = [];
  const walk = (node: unknown, path: string): void => {
    if (isLeaf(node)) {
      out.push([path, node as T]);
    } else if (globalThis.Array.isArray(node)) {
      node.forEach((c, i) => walk(c, path === "" ? String(i) : `${path}.${i}`));
    } else if (node !== null && typeof node === "object") {
      for (const k of Object.keys(node).sort()) {
        if (k.includes(".")) throw new NoetherError(`flattenWithPaths: key ${JSON.stringify(k)} contains "."`);
        walk((node as Record<string, unknown>)[k], path === "" ? k : `${path}.${k}`);
      }
    } else {
      throw new NoetherError(
        `flattenWithPaths: unexpected ${typeof node} at ${JSON.stringify(path)} (expected a jax-js Array, object or array)`,
      );
    }
  };
  walk(t, "");
  return out;
}

function isArrayLeaf(x: unknown): boolean {
  return x instanceof JArray;
}

/**
 * Rebuilds a tree with the structure of `template` from a `path → leaf` map (the inverse of
 * `flattenWithPaths`). Throws naming the first missing path. Does not consume `template`.
 */
export function unflattenWithPaths<T>(
  template: JsTree<unknown>,
  leaves: Map<string, T>,
  isLeaf: (x: unknown) => boolean = isArrayLeaf,
): JsTree<T> {
  const build = (node: unknown, path: string): unknown => {
    if (isLeaf(node)) {
      const v = leaves.get(path);
      if (v === undefined) throw new NoetherError(`unflattenWithPaths: no value for ${JSON.stringify(path)}`);
      return v;
    }
    if (globalThis.Array.isArray(node)) return node.map((c, i) => build(c, path === "" ? String(i) : `${path}.${i}`));
    if (node !== null && typeof node === "object") {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(node))
        o[k] = build((node as Record<string, unknown>)[k], path === "" ? k : `${path}.${k}`);
      return o;
    }
    throw new NoetherError(`unflattenWithPaths: unexpected ${typeof node} at ${JSON.stringify(path)}`);
  };
  return build(template, "") as JsTree<T>;
}

/** Total number of scalar entries in a tree (borrows). */
export function treeSize(t: Params): number {
  return tree.leaves(t).reduce((n, a) => n + (a as JArray).size, 0);
}
