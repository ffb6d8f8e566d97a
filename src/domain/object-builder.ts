/**
 * Builds plain objects whose keys are known only at run time — a CRM row's values, a new person's fields and
 * bases — the way V8 keeps them small and fast.
 *
 * Why: V8 turns an object that computed-key stores (`values[name] = …`) give more than about sixteen properties
 * into a hash table ("dictionary mode"). Every such store then inserts into a table that grows and is copied as
 * it grows, and each object of 30–50 keys takes several times the memory of a fast one. An initial load builds
 * three of them per record (issue 17: the stores were most of `toRecord` and `newPersonOf`, and GC 17 % of the
 * engine's CPU). Here an object is a copy of a template with the same keys in the same order, parsed from JSON
 * (the parser builds fast objects whatever the key count), so the stores only overwrite properties it has.
 *
 * The result is an ordinary object, equal to the one the same `set` calls on `{}` give: keys in first-set order,
 * the last value of a key set twice. A key sequence becomes a template the second time in a row it is seen;
 * until then, and for sequences that keep changing, objects are built as before.
 */
export class ObjectBuilder<V = unknown> {
  readonly #keys: string[] = [];
  readonly #values: V[] = [];
  #count = 0;
  /** The key sequences with templates, most recent first. */
  readonly #shapes: { readonly keys: readonly string[]; readonly template: object }[] = [];
  /** The last sequence built without a template. */
  #candidate: readonly string[] | undefined;

  /** A key sequence of a record kind (with or without owner, account…) rarely exceeds this. */
  static readonly maxShapes = 8;

  /** Starts an object, dropping the keys of one whose build was cut short (a throw between `set` and `build`). */
  begin(): void {
    this.#values.fill(undefined as V, 0, this.#count);
    this.#count = 0;
  }

  set(key: string, value: V): void {
    this.#keys[this.#count] = key;
    this.#values[this.#count] = value;
    this.#count += 1;
  }

  /** The object of the `set` calls since the last `build`; starts the next one. */
  build(): Record<string, V> {
    const count = this.#count;
    this.#count = 0;
    const keys = this.#keys;
    const values = this.#values;
    let template: object | undefined;
    for (const shape of this.#shapes) {
      if (this.#sameKeys(shape.keys, count)) {
        template = shape.template;
        break;
      }
    }
    if (template === undefined && this.#candidate !== undefined && this.#sameKeys(this.#candidate, count)) {
      template = JSON.parse(
        JSON.stringify(Object.fromEntries(this.#candidate.map((key) => [key, null]))),
      ) as object;
      this.#shapes.unshift({ keys: this.#candidate, template });
      if (this.#shapes.length > ObjectBuilder.maxShapes) this.#shapes.pop();
      this.#candidate = undefined;
    }
    let built: Record<string, V>;
    if (template === undefined) {
      this.#candidate = keys.slice(0, count);
      built = {};
    } else built = { ...template } as Record<string, V>;
    for (let index = 0; index < count; index += 1) {
      built[keys[index]] = values[index];
      // The builder holds no value past its object.
      values[index] = undefined as V;
    }
    return built;
  }

  #sameKeys(shapeKeys: readonly string[], count: number): boolean {
    if (shapeKeys.length !== count) return false;
    const keys = this.#keys;
    for (let index = 0; index < count; index += 1) if (shapeKeys[index] !== keys[index]) return false;
    return true;
  }
}
