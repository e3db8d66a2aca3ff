/**
 * A labelled text input with its problem shown beneath (and tied to it for screen readers), and
 * the same pattern for any other control: give the problem's element `id={problemIdOf(id)}` (or
 * render {@link FieldProblem}) and the control `aria-describedby={problemIdOf(id)}` while it has
 * a problem, so a screen reader reads the problem with the field.
 */

/** The id of the element holding the problem of the field `id`. */
export function problemIdOf(id: string): string {
  return `${id}-problem`;
}

/** The id of the element holding the hint of the field `id`. */
export function hintIdOf(id: string): string {
  return `${id}-hint`;
}

/** The problem beneath the field `fieldId` (nothing when there is none). */
export function FieldProblem({ fieldId, problem }: { fieldId: string; problem?: string }) {
  if (!problem) return null;
  return (
    <div id={problemIdOf(fieldId)} className="field-error">
      {problem}
    </div>
  );
}

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
  const describedBy = [hint ? hintIdOf(id) : "", problem ? problemIdOf(id) : ""].join(" ").trim();
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
        <div id={hintIdOf(id)} className="muted">
          {hint}
        </div>
      )}
      <FieldProblem fieldId={id} problem={problem} />
    </div>
  );
}
