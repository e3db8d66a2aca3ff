/**
 * What a pool's record JSON Schema says about one field, as much as queries need: is it a number
 * (and an integer), a categorical value (and its enum, when the schema declares one), or an array
 * of those. Reads `properties` along a dot path, following local `$ref`s ("#/$defs/…"); anything
 * fancier (anyOf, patternProperties…) is reported as unsupported rather than guessed at.
 */
import type { Scalar } from "./format.js";

/** A field's type as queries see it. */
export type FieldType =
  | { kind: "number"; integer: boolean }
  /** Strings and booleans; `domain` when the schema lists the values (enum, or boolean). */
  | { kind: "categorical"; domain: Scalar[] | undefined }
  | { kind: "array"; items: FieldType }
  /** Present in the schema, but of a type queries cannot use (object, anyOf…). */
  | { kind: "unsupported"; reason: string };

type SchemaObject = Record<string, unknown>;

/** The type of the field at `path` (split on dots), or undefined when the schema has no such field. */
export function fieldType(recordSchema: object, path: readonly string[]): FieldType | undefined {
  let node: SchemaObject | undefined = resolve(recordSchema as SchemaObject, recordSchema);
  for (const segment of path) {
    const properties: unknown = node?.properties;
    if (typeof properties !== "object" || properties === null) return undefined;
    if (!Object.hasOwn(properties, segment)) return undefined;
    node = resolve(recordSchema as SchemaObject, (properties as SchemaObject)[segment]);
  }
  return node === undefined ? undefined : typeOf(recordSchema as SchemaObject, node);
}

function typeOf(root: SchemaObject, node: SchemaObject): FieldType {
  if (Array.isArray(node.enum)) {
    const values = node.enum.filter(isScalar);
    if (values.length === 0) return { kind: "unsupported", reason: "its enum has no plain values" };
    return { kind: "categorical", domain: values };
  }
  if ("const" in node && isScalar(node.const)) return { kind: "categorical", domain: [node.const] };
  const types = (Array.isArray(node.type) ? node.type : [node.type]).filter(
    (type) => type !== "null",
  );
  if (types.length !== 1) {
    return { kind: "unsupported", reason: "it does not have exactly one JSON type" };
  }
  switch (types[0]) {
    case "integer":
      return { kind: "number", integer: true };
    case "number":
      return { kind: "number", integer: false };
    case "string":
      return { kind: "categorical", domain: undefined };
    case "boolean":
      return { kind: "categorical", domain: [false, true] };
    case "array": {
      const items = resolve(root, node.items);
      if (items === undefined) return { kind: "unsupported", reason: "its items have no schema" };
      const itemType = typeOf(root, items);
      if (itemType.kind === "array" || itemType.kind === "unsupported") {
        return { kind: "unsupported", reason: "its items are not plain values" };
      }
      return { kind: "array", items: itemType };
    }
    default:
      return { kind: "unsupported", reason: `it is of type ${String(types[0])}` };
  }
}

/** The schema object `node` stands for, following local `$ref`s (at most 32, against cycles). */
function resolve(root: SchemaObject, node: unknown): SchemaObject | undefined {
  let current = node;
  for (let hops = 0; hops < 32; hops += 1) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    const ref = (current as SchemaObject).$ref;
    if (typeof ref !== "string") return current as SchemaObject;
    if (!ref.startsWith("#/")) return undefined;
    current = ref
      .slice(2)
      .split("/")
      .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce<unknown>(
        (at, part) =>
          typeof at === "object" && at !== null ? (at as SchemaObject)[part] : undefined,
        root,
      );
  }
  return undefined;
}

function isScalar(value: unknown): value is Scalar {
  return (
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}
