/** Checkboxes of the processing purposes a pool asks consent for. */
import { PURPOSES } from "../logic/purposes";
import { FieldProblem, problemIdOf } from "./TextField";

export function PurposesPicker({
  id,
  value,
  problem,
  onChange,
}: {
  /** The id of the first checkbox, where a link to the picker (an error summary's) moves the focus. */
  id?: string;
  value: number;
  /** What to fix, shown beneath the checkboxes and tied to the group (needs `id`). */
  problem?: string;
  onChange(mask: number): void;
}) {
  const described = id && problem ? problemIdOf(id) : undefined;
  return (
    <fieldset aria-describedby={described}>
      <legend>Purposes contributors consent to</legend>
      {PURPOSES.map((purpose, index) => (
        <label className="inline" key={purpose.bit}>
          <input
            id={index === 0 ? id : undefined}
            type="checkbox"
            checked={(value & purpose.bit) !== 0}
            onChange={(event) =>
              onChange(event.target.checked ? value | purpose.bit : value & ~purpose.bit)
            }
          />
          {purpose.name} <span className="muted">({purpose.description})</span>
        </label>
      ))}
      {id && <FieldProblem fieldId={id} problem={problem} />}
    </fieldset>
  );
}
