/** Checkboxes of the processing purposes a pool asks consent for. */
import { PURPOSES } from "../logic/purposes";

export function PurposesPicker({
  value,
  onChange,
}: {
  value: number;
  onChange(mask: number): void;
}) {
  return (
    <fieldset>
      <legend>Purposes contributors consent to</legend>
      {PURPOSES.map((purpose) => (
        <label className="inline" key={purpose.bit}>
          <input
            type="checkbox"
            checked={(value & purpose.bit) !== 0}
            onChange={(event) =>
              onChange(event.target.checked ? value | purpose.bit : value & ~purpose.bit)
            }
          />
          {purpose.name} <span className="muted">({purpose.description})</span>
        </label>
      ))}
    </fieldset>
  );
}
