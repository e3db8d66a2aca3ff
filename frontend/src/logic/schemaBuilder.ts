/**
 * The curator's schema builder: a list of simple fields becomes the JSON Schema (draft 2020-12)
 * that the custodian validates contributions against (lib/custodian, ajv).
 */

/** Field types a curator can ask for. */
export type BuilderFieldType = "text" | "integer" | "number" | "boolean" | "choice" | "textList";

/** One field of the schema builder. */
export interface BuilderField {
  /** Property name in the record (letters, digits, underscore; starts with a letter). */
  name: string;
  /** Label shown to contributors; the name when empty. */
  title: string;
  type: BuilderFieldType;
  required: boolean;
  /** Allowed values of a "choice" field. */
  options: string[];
  /** Lower bound of an integer/number field. */
  minimum?: number;
  /** Upper bound of an integer/number field. */
  maximum?: number;
}

/** Labels of the field types, for the builder's select. */
export const FIELD_TYPE_LABELS: Record<BuilderFieldType, string> = {
  text: "Text",
  integer: "Whole number",
  number: "Number",
  boolean: "Yes / no",
  choice: "One of a list",
  textList: "List of texts",
};

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Problems that stop the schema from being built, one sentence each; empty when valid. */
export function builderProblems(title: string, fields: readonly BuilderField[]): string[] {
  const problems: string[] = [];
  if (title.trim() === "") problems.push("Give the schema a title.");
  if (fields.length === 0) problems.push("Add at least one field.");
  const seen = new Set<string>();
  fields.forEach((field, index) => {
    const label = `Field ${index + 1}`;
    if (!FIELD_NAME.test(field.name)) {
      problems.push(`${label}: the name must start with a letter and use only letters, digits, _.`);
    } else if (seen.has(field.name)) {
      problems.push(`${label}: the name "${field.name}" is used twice.`);
    }
    seen.add(field.name);
    if (field.type === "choice" && field.options.filter((o) => o.trim()).length < 2) {
      problems.push(`${label}: a choice needs at least two options.`);
    }
    if (
      field.minimum !== undefined &&
      field.maximum !== undefined &&
      field.minimum > field.maximum
    ) {
      problems.push(`${label}: the minimum is above the maximum.`);
    }
  });
  return problems;
}

function propertySchema(field: BuilderField): Record<string, unknown> {
  const title = field.title.trim() || field.name;
  const bounds = {
    ...(field.minimum !== undefined ? { minimum: field.minimum } : {}),
    ...(field.maximum !== undefined ? { maximum: field.maximum } : {}),
  };
  switch (field.type) {
    case "text":
      return { title, type: "string", minLength: 1, maxLength: 1000 };
    case "integer":
      return { title, type: "integer", ...bounds };
    case "number":
      return { title, type: "number", ...bounds };
    case "boolean":
      return { title, type: "boolean" };
    case "choice":
      return { title, enum: [...new Set(field.options.map((o) => o.trim()).filter(Boolean))] };
    case "textList":
      return {
        title,
        type: "array",
        items: { type: "string", minLength: 1, maxLength: 200 },
        minItems: field.required ? 1 : 0,
        maxItems: 100,
      };
  }
}

/**
 * The JSON Schema of the builder's fields: an object with exactly these properties, the required
 * ones listed, nothing else allowed (so contributors send no more than asked).
 *
 * @throws Error with the first problem when {@link builderProblems} is not empty.
 */
export function buildJsonSchema(
  title: string,
  fields: readonly BuilderField[],
): Record<string, unknown> {
  const problems = builderProblems(title, fields);
  if (problems.length > 0) throw new Error(problems[0]);
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: title.trim(),
    type: "object",
    properties: Object.fromEntries(fields.map((field) => [field.name, propertySchema(field)])),
    required: fields.filter((field) => field.required).map((field) => field.name),
    additionalProperties: false,
  };
}

/** A blank field for the builder's "Add field" button. */
export function emptyField(index: number): BuilderField {
  return { name: `field${index + 1}`, title: "", type: "text", required: true, options: [] };
}
