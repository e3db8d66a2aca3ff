/** Builds the pool's record schema field by field (→ JSON Schema in logic/schemaBuilder). */
import {
  emptyField,
  FIELD_TYPE_LABELS,
  type BuilderField,
  type BuilderFieldType,
} from "../../logic/schemaBuilder";

interface SchemaBuilderProps {
  title: string;
  fields: BuilderField[];
  onTitleChange(title: string): void;
  onFieldsChange(fields: BuilderField[]): void;
}

export function SchemaBuilder({
  title,
  fields,
  onTitleChange,
  onFieldsChange,
}: SchemaBuilderProps) {
  const update = (index: number, change: Partial<BuilderField>) =>
    onFieldsChange(fields.map((field, i) => (i === index ? { ...field, ...change } : field)));
  const remove = (index: number) => onFieldsChange(fields.filter((_, i) => i !== index));
  const optionalNumber = (text: string) => (text.trim() === "" ? undefined : Number(text));

  return (
    <fieldset>
      <legend>Record schema</legend>
      <label htmlFor="schema-title">Schema title</label>
      <input
        id="schema-title"
        type="text"
        value={title}
        onChange={(event) => onTitleChange(event.target.value)}
      />
      {fields.map((field, index) => {
        const id = `schema-field-${index}`;
        return (
          <div className="field-row" key={index}>
            <div className="row">
              <div>
                <label htmlFor={`${id}-name`}>Field {index + 1} name</label>
                <input
                  id={`${id}-name`}
                  type="text"
                  value={field.name}
                  onChange={(event) => update(index, { name: event.target.value })}
                />
              </div>
              <div>
                <label htmlFor={`${id}-title`}>Label shown to contributors</label>
                <input
                  id={`${id}-title`}
                  type="text"
                  value={field.title}
                  onChange={(event) => update(index, { title: event.target.value })}
                />
              </div>
              <div>
                <label htmlFor={`${id}-type`}>Type</label>
                <select
                  id={`${id}-type`}
                  value={field.type}
                  onChange={(event) =>
                    update(index, { type: event.target.value as BuilderFieldType })
                  }
                >
                  {Object.entries(FIELD_TYPE_LABELS).map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            {field.type === "choice" && (
              <>
                <label htmlFor={`${id}-options`}>Options (comma-separated)</label>
                <input
                  id={`${id}-options`}
                  type="text"
                  value={field.options.join(",")}
                  onChange={(event) => update(index, { options: event.target.value.split(",") })}
                />
              </>
            )}
            {(field.type === "integer" || field.type === "number") && (
              <div className="row">
                <div>
                  <label htmlFor={`${id}-min`}>Minimum</label>
                  <input
                    id={`${id}-min`}
                    type="number"
                    value={field.minimum ?? ""}
                    onChange={(event) =>
                      update(index, { minimum: optionalNumber(event.target.value) })
                    }
                  />
                </div>
                <div>
                  <label htmlFor={`${id}-max`}>Maximum</label>
                  <input
                    id={`${id}-max`}
                    type="number"
                    value={field.maximum ?? ""}
                    onChange={(event) =>
                      update(index, { maximum: optionalNumber(event.target.value) })
                    }
                  />
                </div>
              </div>
            )}
            <div className="actions">
              <label className="inline">
                <input
                  type="checkbox"
                  checked={field.required}
                  onChange={(event) => update(index, { required: event.target.checked })}
                />
                Required
              </label>
              <button type="button" className="secondary" onClick={() => remove(index)}>
                Remove field {index + 1}
              </button>
            </div>
          </div>
        );
      })}
      <button
        type="button"
        className="secondary"
        onClick={() => onFieldsChange([...fields, emptyField(fields.length)])}
      >
        Add field
      </button>
    </fieldset>
  );
}
