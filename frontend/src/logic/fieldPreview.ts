/**
 * What a buyer reads of a pool's fields before paying: each field's name, type, options and range,
 * from the pool's JSON Schema only. Nothing here looks at the records themselves: a statistic of
 * them would need privacy protection (the pool's query product), so none is shown.
 */
import type { FormField, FormFieldKind } from "./schemaForm.js";

const KIND_WORDS: Record<FormFieldKind, string> = {
  text: "text",
  integer: "whole number",
  number: "number",
  boolean: "yes or no",
  choice: "one of a list",
  textList: "list of text",
};

/** One field as the preview shows it. */
export interface FieldPreview {
  label: string;
  /** "whole number", "text", … */
  type: string;
  /** "0 to 60", "one of: none, bachelor", "at most 80 characters", or "" when unconstrained. */
  constraint: string;
  required: boolean;
}

function rangeWords(minimum: number | undefined, maximum: number | undefined, unit = ""): string {
  if (minimum !== undefined && maximum !== undefined) return `${minimum} to ${maximum}${unit}`;
  if (minimum !== undefined) return `at least ${minimum}${unit}`;
  if (maximum !== undefined) return `at most ${maximum}${unit}`;
  return "";
}

/** The preview of one form field of the schema. */
export function fieldPreview(field: FormField): FieldPreview {
  let constraint: string;
  if (field.kind === "choice") constraint = `one of: ${field.options.join(", ")}`;
  else if (field.kind === "integer" || field.kind === "number") {
    constraint = rangeWords(field.minimum, field.maximum);
  } else if (field.kind === "textList") {
    constraint = field.minItems !== undefined ? `at least ${field.minItems} item(s)` : "";
  } else constraint = rangeWords(field.minLength, field.maxLength, " characters");
  return {
    label: field.label,
    type: KIND_WORDS[field.kind],
    constraint,
    required: field.required,
  };
}
