/**
 * What a new pool sells (record sales, questions or both), the price of each, and for questions the
 * privacy budget and the query policy (logic/queryPolicyDraft), whose default follows the schema
 * builder's fields until the curator edits it.
 */
import type { PoolFormValues, ProductsChoice } from "../../logic/poolForm";
import { FieldProblem, hintIdOf, problemIdOf, TextField } from "../TextField";

interface ProductFieldsProps {
  values: PoolFormValues;
  problems: Record<string, string>;
  /** The token's symbol, for the price labels. */
  symbol: string | undefined;
  set(key: keyof PoolFormValues): (value: string) => void;
  /** The policy text shown (the default, or the curator's edit). */
  policyText: string;
  policyEdited: boolean;
  onPolicyChange(text: string | undefined): void;
}

const PRODUCT_LABELS: Record<ProductsChoice, string> = {
  records: "Record sales only (buyers receive copies)",
  queries: "Questions only (buyers receive private statistics, never records)",
  both: "Both record sales and questions",
};

export function ProductFields(props: ProductFieldsProps) {
  const { values, problems, symbol, set } = props;
  const unit = symbol ? ` (${symbol})` : "";
  const sellsRecords = values.products !== "queries";
  const sellsQueries = values.products !== "records";
  return (
    <fieldset>
      <legend>What the pool sells</legend>
      <label htmlFor="pool-products">Products</label>
      <select
        id="pool-products"
        value={values.products}
        onChange={(event) => set("products")(event.target.value)}
      >
        {(Object.keys(PRODUCT_LABELS) as ProductsChoice[]).map((choice) => (
          <option key={choice} value={choice}>
            {PRODUCT_LABELS[choice]}
          </option>
        ))}
      </select>
      <div className="row">
        {sellsRecords && (
          <TextField
            id="pool-price"
            label={`Price per sale${unit}`}
            value={values.price}
            onChange={set("price")}
            problem={problems.price}
            inputMode="decimal"
          />
        )}
        {sellsQueries && (
          <>
            <TextField
              id="pool-query-price"
              label={`Price per question${unit}`}
              value={values.queryPrice}
              onChange={set("queryPrice")}
              problem={problems.queryPrice}
              inputMode="decimal"
            />
            <TextField
              id="pool-epsilon-budget"
              label="Privacy budget of the pool (total ε)"
              value={values.epsilonBudget}
              onChange={set("epsilonBudget")}
              problem={problems.epsilonBudget}
              inputMode="decimal"
              hint="All questions together can never cost a contributor more. Fixed for life."
            />
            <TextField
              id="pool-epsilon-per-query"
              label="Most ε per question"
              value={values.maxEpsilonPerQuery}
              onChange={set("maxEpsilonPerQuery")}
              problem={problems.maxEpsilonPerQuery}
              inputMode="decimal"
            />
          </>
        )}
      </div>
      {sellsQueries && (
        <>
          <label htmlFor="pool-query-policy">
            Query policy (JSON, published inside the schema)
          </label>
          <textarea
            id="pool-query-policy"
            value={props.policyText}
            rows={12}
            className="mono"
            aria-invalid={problems.policy ? true : undefined}
            aria-describedby={[
              hintIdOf("pool-query-policy"),
              problems.policy ? problemIdOf("pool-query-policy") : "",
            ]
              .join(" ")
              .trim()}
            onChange={(event) => props.onPolicyChange(event.target.value)}
          />
          <div id={hintIdOf("pool-query-policy")} className="muted">
            Which fields questions may use and how: free text may only be filtered on, numbers are
            clamped to their bounds, groups below minNoisyCount (a noisy count) are never released.
            maxEpsilon is set from “Most ε per question”. See docs/queries.md.
          </div>
          <FieldProblem fieldId="pool-query-policy" problem={problems.policy} />
          {props.policyEdited && (
            <button
              type="button"
              className="secondary"
              onClick={() => props.onPolicyChange(undefined)}
            >
              Reset the policy to the default for these fields
            </button>
          )}
        </>
      )}
    </fieldset>
  );
}
