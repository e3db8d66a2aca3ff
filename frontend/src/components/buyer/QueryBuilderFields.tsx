/**
 * The inputs of the query builder (logic/queryBuilder): filters, groupings and results, offering
 * only the fields and kinds the pool's query policy allows.
 */
import type { AggregateKind } from "../../../../lib/query/format.js";
import {
  newAggregate,
  newFilter,
  newGroupBy,
  type AggregateDraft,
  type FilterDraft,
  type QueryDraft,
  type QueryField,
  type QueryOptions,
} from "../../logic/queryBuilder";
import { TextField } from "../TextField";

const KIND_LABELS: Record<AggregateKind, string> = {
  count: "Count of people",
  sum: "Sum of",
  mean: "Mean (average) of",
  histogram: "Histogram of",
  quantile: "Quantiles (median…) of",
};

interface Props {
  options: QueryOptions;
  draft: QueryDraft;
  onChange(draft: QueryDraft): void;
}

function FieldSelect(props: {
  id: string;
  label: string;
  fields: QueryField[];
  value: string;
  onChange(path: string): void;
}) {
  return (
    <div>
      <label htmlFor={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      >
        {props.fields.map((field) => (
          <option key={field.path} value={field.path}>
            {field.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function FilterInputs(props: {
  index: number;
  field: QueryField;
  filter: FilterDraft;
  onChange(change: Partial<FilterDraft>): void;
}) {
  const { index, field, filter, onChange } = props;
  const id = `q-filter-${index}`;
  if (field.kind === "number") {
    return (
      <>
        <TextField
          id={`${id}-min`}
          label="At least"
          value={filter.min}
          onChange={(min) => onChange({ min })}
          inputMode="decimal"
        />
        <TextField
          id={`${id}-max`}
          label="At most"
          value={filter.max}
          onChange={(max) => onChange({ max })}
          inputMode="decimal"
        />
      </>
    );
  }
  if (field.kind !== "array" && field.values !== undefined) {
    return (
      <fieldset>
        <legend>Is one of</legend>
        {field.values.map((value) => {
          const label = String(value);
          const checked = filter.values.includes(label);
          return (
            <label key={label} className="inline" htmlFor={`${id}-value-${label}`}>
              <input
                id={`${id}-value-${label}`}
                type="checkbox"
                checked={checked}
                onChange={() =>
                  onChange({
                    values: checked
                      ? filter.values.filter((item) => item !== label)
                      : [...filter.values, label],
                  })
                }
              />
              {label}
            </label>
          );
        })}
      </fieldset>
    );
  }
  return (
    <TextField
      id={`${id}-text`}
      label={field.kind === "array" ? "Contains" : "Equals"}
      value={filter.text}
      onChange={(text) => onChange({ text })}
    />
  );
}

function AggregateInputs(props: {
  index: number;
  options: QueryOptions;
  aggregate: AggregateDraft;
  onChange(aggregate: AggregateDraft): void;
}) {
  const { index, options, aggregate, onChange } = props;
  const id = `q-result-${index}`;
  const candidates = options.fields.filter((field) =>
    aggregate.kind === "histogram" ? field.canGroup : field.canAggregate,
  );
  const field = candidates.find((candidate) => candidate.path === aggregate.field);
  const set = (change: Partial<AggregateDraft>) => onChange({ ...aggregate, ...change });
  return (
    <div className="row">
      <div>
        <label htmlFor={`${id}-kind`}>Result {index + 1}</label>
        <select
          id={`${id}-kind`}
          value={aggregate.kind}
          onChange={(event) => {
            const kind = event.target.value as AggregateKind;
            const fields = options.fields.filter((f) =>
              kind === "histogram" ? f.canGroup : f.canAggregate,
            );
            onChange(
              newAggregate(kind, fields.find((f) => f.path === aggregate.field) ?? fields[0]),
            );
          }}
        >
          {options.kinds.map((kind) => (
            <option key={kind} value={kind}>
              {KIND_LABELS[kind]}
            </option>
          ))}
        </select>
      </div>
      {aggregate.kind !== "count" && (
        <FieldSelect
          id={`${id}-field`}
          label="Field"
          fields={candidates}
          value={aggregate.field}
          onChange={(path) =>
            onChange(
              newAggregate(
                aggregate.kind,
                candidates.find((f) => f.path === path),
              ),
            )
          }
        />
      )}
      {(aggregate.kind === "sum" || aggregate.kind === "mean") && (
        <>
          <TextField
            id={`${id}-lo`}
            label="Clamp values below to"
            value={aggregate.lo}
            onChange={(lo) => set({ lo })}
            inputMode="decimal"
          />
          <TextField
            id={`${id}-hi`}
            label="Clamp values above to"
            value={aggregate.hi}
            onChange={(hi) => set({ hi })}
            inputMode="decimal"
          />
        </>
      )}
      {((aggregate.kind === "histogram" && field?.kind === "number") ||
        aggregate.kind === "quantile") && (
        <TextField
          id={`${id}-buckets`}
          label="Bucket edges"
          value={aggregate.buckets}
          onChange={(buckets) => set({ buckets })}
          hint="Increasing numbers, separated by commas."
        />
      )}
      {aggregate.kind === "quantile" && (
        <TextField
          id={`${id}-q`}
          label="Levels (0.5 = median)"
          value={aggregate.q}
          onChange={(q) => set({ q })}
          inputMode="decimal"
        />
      )}
    </div>
  );
}

export function QueryBuilderFields({ options, draft, onChange }: Props) {
  const filterable = options.fields.filter((field) => field.canFilter);
  const groupable = options.fields.filter((field) => field.canGroup);
  const update = <K extends "filters" | "groupBy" | "aggregates">(
    key: K,
    index: number,
    item: QueryDraft[K][number],
  ) => onChange({ ...draft, [key]: draft[key].map((old, i) => (i === index ? item : old)) });
  const remove = (key: "filters" | "groupBy" | "aggregates", index: number) =>
    onChange({ ...draft, [key]: draft[key].filter((_, i) => i !== index) });
  return (
    <>
      <fieldset>
        <legend>Which people (filters, all must hold)</legend>
        {draft.filters.length === 0 && <p className="muted">Everyone in the pool.</p>}
        {draft.filters.map((filter, index) => {
          const field = filterable.find((candidate) => candidate.path === filter.field)!;
          return (
            <div className="row" key={index}>
              <FieldSelect
                id={`q-filter-${index}-field`}
                label={`Filter ${index + 1}`}
                fields={filterable}
                value={filter.field}
                onChange={(path) =>
                  update("filters", index, newFilter(filterable.find((f) => f.path === path)!))
                }
              />
              <FilterInputs
                index={index}
                field={field}
                filter={filter}
                onChange={(change) => update("filters", index, { ...filter, ...change })}
              />
              <div className="actions">
                <button
                  type="button"
                  className="secondary"
                  onClick={() => remove("filters", index)}
                >
                  Remove filter {index + 1}
                </button>
              </div>
            </div>
          );
        })}
        {filterable.length > 0 && (
          <button
            type="button"
            className="secondary"
            onClick={() =>
              onChange({ ...draft, filters: [...draft.filters, newFilter(filterable[0]!)] })
            }
          >
            Add a filter
          </button>
        )}
      </fieldset>
      <fieldset>
        <legend>Broken down by (at most {options.maxGroupBy})</legend>
        {draft.groupBy.length === 0 && <p className="muted">One row for everyone selected.</p>}
        {draft.groupBy.map((group, index) => {
          const field = groupable.find((candidate) => candidate.path === group.field)!;
          return (
            <div className="row" key={index}>
              <FieldSelect
                id={`q-group-${index}-field`}
                label={`Group ${index + 1}`}
                fields={groupable}
                value={group.field}
                onChange={(path) =>
                  update("groupBy", index, newGroupBy(groupable.find((f) => f.path === path)!))
                }
              />
              {field.kind === "number" && (
                <TextField
                  id={`q-group-${index}-buckets`}
                  label="Bucket edges"
                  value={group.buckets}
                  onChange={(buckets) => update("groupBy", index, { ...group, buckets })}
                />
              )}
              <div className="actions">
                <button
                  type="button"
                  className="secondary"
                  onClick={() => remove("groupBy", index)}
                >
                  Remove group {index + 1}
                </button>
              </div>
            </div>
          );
        })}
        {groupable.length > 0 && draft.groupBy.length < options.maxGroupBy && (
          <button
            type="button"
            className="secondary"
            onClick={() =>
              onChange({ ...draft, groupBy: [...draft.groupBy, newGroupBy(groupable[0]!)] })
            }
          >
            Add a grouping
          </button>
        )}
      </fieldset>
      <fieldset>
        <legend>Results</legend>
        {draft.aggregates.map((aggregate, index) => (
          <div key={index}>
            <AggregateInputs
              index={index}
              options={options}
              aggregate={aggregate}
              onChange={(item) => update("aggregates", index, item)}
            />
            {draft.aggregates.length > 1 && (
              <button
                type="button"
                className="secondary"
                onClick={() => remove("aggregates", index)}
              >
                Remove result {index + 1}
              </button>
            )}
          </div>
        ))}
        <button
          type="button"
          className="secondary"
          onClick={() => {
            const numeric = options.fields.find((field) => field.canAggregate);
            const kind: AggregateKind =
              numeric && options.kinds.includes("mean") ? "mean" : "count";
            onChange({ ...draft, aggregates: [...draft.aggregates, newAggregate(kind, numeric)] });
          }}
        >
          Add a result
        </button>
      </fieldset>
    </>
  );
}
