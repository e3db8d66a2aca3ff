/** The inputs generated from a pool's JSON Schema, each labelled, with its problem beneath. */
import type { FormField, FormProblem, FormValues } from "../../logic/schemaForm";
import { FieldProblem, hintIdOf, problemIdOf } from "../TextField";

interface SchemaFormFieldsProps {
  fields: FormField[];
  values: FormValues;
  problems: FormProblem[];
  onChange(id: string, value: string | boolean): void;
}

function hintOf(field: FormField): string | undefined {
  if (field.kind === "textList") return "Separate items with commas or new lines.";
  if (field.minimum !== undefined && field.maximum !== undefined) {
    return `From ${field.minimum} to ${field.maximum}.`;
  }
  if (field.group) return "Optional: fill in all of this group, or none of it.";
  return undefined;
}

export function SchemaFormFields({ fields, values, problems, onChange }: SchemaFormFieldsProps) {
  return (
    <>
      {fields.map((field) => {
        const problem = problems.find((candidate) => candidate.fieldId === field.id)?.message;
        const hint = hintOf(field);
        const describedBy =
          [hint ? hintIdOf(field.id) : "", problem ? problemIdOf(field.id) : ""].join(" ").trim() ||
          undefined;
        const label = `${field.label}${field.required && !field.group ? "" : " (optional)"}`;
        const common = {
          id: field.id,
          "aria-invalid": problem ? true : undefined,
          "aria-describedby": describedBy,
        };
        const text = typeof values[field.id] === "string" ? (values[field.id] as string) : "";
        return (
          <div key={field.id}>
            {field.kind === "boolean" ? (
              <label className="inline" htmlFor={field.id}>
                <input
                  {...common}
                  type="checkbox"
                  checked={values[field.id] === true}
                  onChange={(event) => onChange(field.id, event.target.checked)}
                />
                {label}
              </label>
            ) : (
              <label htmlFor={field.id}>{label}</label>
            )}
            {field.kind === "choice" && (
              <select
                {...common}
                value={text}
                onChange={(event) => onChange(field.id, event.target.value)}
              >
                <option value="">Choose…</option>
                {field.options.map((option) => (
                  <option key={option} value={option}>
                    {option}
                  </option>
                ))}
              </select>
            )}
            {field.kind === "textList" && (
              <textarea
                {...common}
                value={text}
                onChange={(event) => onChange(field.id, event.target.value)}
              />
            )}
            {(field.kind === "text" || field.kind === "integer" || field.kind === "number") && (
              <input
                {...common}
                type="text"
                inputMode={
                  field.kind === "text" ? "text" : field.kind === "integer" ? "numeric" : "decimal"
                }
                value={text}
                onChange={(event) => onChange(field.id, event.target.value)}
              />
            )}
            {hint && (
              <div id={hintIdOf(field.id)} className="muted">
                {hint}
              </div>
            )}
            <FieldProblem fieldId={field.id} problem={problem} />
          </div>
        );
      })}
    </>
  );
}
