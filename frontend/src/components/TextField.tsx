/** A labelled text input with its problem shown beneath (and tied to it for screen readers). */
interface TextFieldProps {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  problem?: string;
  hint?: string;
  inputMode?: "text" | "decimal" | "numeric";
}

export function TextField({
  id,
  label,
  value,
  onChange,
  problem,
  hint,
  inputMode,
}: TextFieldProps) {
  const describedBy = [hint ? `${id}-hint` : "", problem ? `${id}-problem` : ""].join(" ").trim();
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        inputMode={inputMode}
        value={value}
        aria-invalid={problem ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(event) => onChange(event.target.value)}
      />
      {hint && (
        <div id={`${id}-hint`} className="muted">
          {hint}
        </div>
      )}
      {problem && (
        <div id={`${id}-problem`} className="field-error">
          {problem}
        </div>
      )}
    </div>
  );
}
