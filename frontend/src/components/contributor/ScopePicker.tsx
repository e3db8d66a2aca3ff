/**
 * The uses a contributor allows, within what the pool sells, each explained in plain words; the
 * most private is preselected (logic/privacy's scopeChoicesOf).
 */
import type { ConsentScopeBits } from "../../../../lib/contracts/client.js";
import { scopeChoicesOf } from "../../logic/privacy";

interface ScopePickerProps {
  poolId: number;
  /** The pool's products (CONSENT_SCOPE bits). */
  products: number;
  value: ConsentScopeBits;
  onChange(scope: ConsentScopeBits): void;
}

export function ScopePicker({ poolId, products, value, onChange }: ScopePickerProps) {
  const { choices } = scopeChoicesOf(products);
  return (
    <fieldset>
      <legend>How buyers may use your record</legend>
      {choices.map((choice) => {
        const id = `scope-${poolId}-${choice.scope}`;
        return (
          <div key={choice.scope}>
            <label className="inline" htmlFor={id}>
              <input
                id={id}
                type="radio"
                name={`scope-${poolId}`}
                checked={value === choice.scope}
                onChange={() => onChange(choice.scope)}
                aria-describedby={`${id}-explained`}
              />
              {choice.label}
            </label>
            <p id={`${id}-explained`} className="muted">
              {choice.explanation}
            </p>
          </div>
        );
      })}
    </fieldset>
  );
}
