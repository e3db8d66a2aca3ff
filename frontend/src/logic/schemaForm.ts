/**
 * A pool's JSON Schema turned into a contributor form, and the form's values turned back into the
 * record the schema describes. Supports what curators build (frontend schema builder) and the
 * sample resume schema: strings, integers, numbers, booleans, enums, arrays of strings, and one
 * level of nested objects (e.g. salaryExpectation.amount / .currency).
 */

/** Kinds of form inputs. */
export type FormFieldKind = "text" | "integer" | "number" | "boolean" | "choice" | "textList";

/** One input of the generated form. */
export interface FormField {
  /** Path of the value in the record, e.g. ["salaryExpectation", "amount"]. */
  path: string[];
  /** Stable id for the input and its label, e.g. "field-salaryExpectation-amount". */
  id: string;
  /** Label shown to the contributor. */
  label: string;
  kind: FormFieldKind;
  required: boolean;
  /** Allowed values of a choice. */
  options: string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  /** Minimum number of items of a list. */
  minItems?: number;
  /** Set when the field belongs to an optional group (an optional nested object). */
  group?: string;
}

/** Raw form values: text inputs give strings, checkboxes booleans. Keyed by {@link FormField.id}. */
export type FormValues = Record<string, string | boolean>;

type JsonSchema = Record<string, unknown>;

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** "yearsOfExperience" → "Years of experience". */
export function humanise(name: string): string {
  const words = name
    .replace(/[_-]+/g, " ")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function kindOf(schema: JsonSchema): FormFieldKind | undefined {
  if (Array.isArray(schema.enum)) return "choice";
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "string":
      return "text";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "array":
      return isObject(schema.items) && schema.items.type === "string" ? "textList" : undefined;
    default:
      return undefined;
  }
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/**
 * The inputs of a schema, in property order.
 *
 * @throws Error when the schema is not an object schema or uses a type the form cannot render.
 */
export function formFieldsFromSchema(schema: unknown): FormField[] {
  if (!isObject(schema) || !isObject(schema.properties)) {
    throw new Error("The pool's schema does not describe a record with fields.");
  }
  const fields: FormField[] = [];
  const walk = (object: JsonSchema, prefix: string[], required: boolean, group?: string) => {
    const requiredNames = Array.isArray(object.required) ? (object.required as string[]) : [];
    for (const [name, property] of Object.entries(object.properties as JsonSchema)) {
      if (!isObject(property)) continue;
      const path = [...prefix, name];
      const isRequired = required && requiredNames.includes(name);
      const label =
        typeof property.title === "string" && property.title ? property.title : humanise(name);
      if (property.type === "object" && isObject(property.properties)) {
        // An optional group's inner fields are required only when the group is filled in.
        walk(property, path, true, requiredNames.includes(name) ? group : path.join("."));
        continue;
      }
      const kind = kindOf(property);
      if (!kind) throw new Error(`The form cannot ask for "${path.join(".")}": unsupported type.`);
      const items = isObject(property.items) ? property.items : {};
      fields.push({
        path,
        id: `field-${path.join("-")}`,
        label: prefix.length ? `${humanise(prefix[prefix.length - 1]!)}: ${label}` : label,
        kind,
        required: isRequired,
        options: Array.isArray(property.enum) ? property.enum.map(String) : [],
        minimum: numberOrUndefined(property.minimum),
        maximum: numberOrUndefined(property.maximum),
        minLength: numberOrUndefined(property.minLength ?? items.minLength),
        maxLength: numberOrUndefined(property.maxLength ?? items.maxLength),
        minItems: numberOrUndefined(property.minItems),
        ...(group ? { group } : {}),
      });
    }
  };
  walk(schema, [], true);
  return fields;
}

/** A value the form could not turn into the record, with the field it belongs to. */
export interface FormProblem {
  fieldId: string;
  message: string;
}

/** The record built from the form, or the problems to fix. */
export type FormResult =
  { ok: true; record: Record<string, unknown> } | { ok: false; problems: FormProblem[] };

function isBlank(value: string | boolean | undefined): boolean {
  return value === undefined || (typeof value === "string" && value.trim() === "");
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let cursor = target;
  for (const key of path.slice(0, -1)) {
    cursor[key] = isObject(cursor[key]) ? cursor[key] : {};
    cursor = cursor[key] as Record<string, unknown>;
  }
  cursor[path[path.length - 1]!] = value;
}

/** Splits a list input: one item per line or comma. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);
}

function convert(field: FormField, raw: string | boolean): { value?: unknown; problem?: string } {
  if (field.kind === "boolean") return { value: raw === true };
  const text = String(raw).trim();
  switch (field.kind) {
    case "text":
    case "choice": {
      if (field.kind === "choice" && !field.options.includes(text)) {
        return { problem: "Pick one of the options." };
      }
      if (field.minLength !== undefined && text.length < field.minLength) {
        return { problem: `At least ${field.minLength} characters.` };
      }
      if (field.maxLength !== undefined && text.length > field.maxLength) {
        return { problem: `At most ${field.maxLength} characters.` };
      }
      return { value: text };
    }
    case "integer":
    case "number": {
      const value = Number(text);
      if (!Number.isFinite(value) || (field.kind === "integer" && !Number.isInteger(value))) {
        return { problem: field.kind === "integer" ? "Enter a whole number." : "Enter a number." };
      }
      if (field.minimum !== undefined && value < field.minimum) {
        return { problem: `At least ${field.minimum}.` };
      }
      if (field.maximum !== undefined && value > field.maximum) {
        return { problem: `At most ${field.maximum}.` };
      }
      return { value };
    }
    case "textList": {
      const items = splitList(text);
      if (field.minItems !== undefined && items.length < field.minItems) {
        return { problem: `At least ${field.minItems} item(s), separated by commas or lines.` };
      }
      const tooLong = items.find(
        (item) => field.maxLength !== undefined && item.length > field.maxLength,
      );
      if (tooLong) return { problem: `"${tooLong}" is longer than ${field.maxLength} characters.` };
      return { value: items };
    }
  }
}

/**
 * Builds the record from the form's values: numbers parsed, lists split, blank optional fields
 * left out, and an optional group left out entirely when all its fields are blank.
 */
export function recordFromForm(fields: readonly FormField[], values: FormValues): FormResult {
  const record: Record<string, unknown> = {};
  const problems: FormProblem[] = [];
  const filledGroups = new Set(
    fields
      .filter((f) => f.group && f.kind !== "boolean" && !isBlank(values[f.id]))
      .map((f) => f.group),
  );
  for (const field of fields) {
    if (field.group && !filledGroups.has(field.group)) continue;
    const raw = values[field.id];
    const required = field.required;
    if (field.kind !== "boolean" && isBlank(raw)) {
      if (required) problems.push({ fieldId: field.id, message: "Required." });
      continue;
    }
    if (field.kind === "boolean" && raw === undefined && !required) continue;
    const { value, problem } = convert(field, raw ?? false);
    if (problem) problems.push({ fieldId: field.id, message: problem });
    else setPath(record, field.path, value);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, record };
}
