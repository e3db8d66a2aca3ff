/**
 * The pool's profile in the create form: the name, description and category lists show, published
 * in the schema document (lib/pools/profile.ts) so it can never change under contributors.
 */
import {
  CATEGORY_CHOICES,
  MAX_POOL_DESCRIPTION,
  MAX_POOL_NAME,
  type PoolProfileFormValues,
} from "../../logic/poolForm";
import { FieldProblem, problemIdOf, TextField } from "../TextField";

export function ProfileFields(props: {
  values: PoolProfileFormValues;
  /** One sentence per field to fix, keyed "name", "description", "category". */
  problems: Record<string, string>;
  onChange(values: PoolProfileFormValues): void;
}) {
  const { values, problems } = props;
  const set = (key: keyof PoolProfileFormValues) => (value: string) =>
    props.onChange({ ...values, [key]: value });
  return (
    <fieldset className="pool-profile">
      <legend>How buyers and contributors will know the pool</legend>
      <TextField
        id="pool-name"
        label="Pool name"
        value={values.name}
        onChange={set("name")}
        problem={problems.name}
        hint={`Shown in every list, with the pool's number. At most ${MAX_POOL_NAME} characters.`}
      />
      <label htmlFor="pool-description">Short description</label>
      <textarea
        id="pool-description"
        value={values.description}
        maxLength={MAX_POOL_DESCRIPTION}
        aria-invalid={problems.description ? true : undefined}
        aria-describedby={problems.description ? problemIdOf("pool-description") : undefined}
        onChange={(event) => set("description")(event.target.value)}
      />
      <FieldProblem fieldId="pool-description" problem={problems.description} />
      <label htmlFor="pool-category">Category</label>
      <select
        id="pool-category"
        value={values.category}
        aria-invalid={problems.category ? true : undefined}
        aria-describedby={problems.category ? problemIdOf("pool-category") : undefined}
        onChange={(event) => set("category")(event.target.value)}
      >
        <option value="">Choose a category…</option>
        {CATEGORY_CHOICES.map(([key, words]) => (
          <option key={key} value={key}>
            {words}
          </option>
        ))}
      </select>
      <FieldProblem fieldId="pool-category" problem={problems.category} />
      <p className="muted">
        Published inside the pool&apos;s schema document, so it cannot change once the pool is open.
      </p>
    </fieldset>
  );
}
