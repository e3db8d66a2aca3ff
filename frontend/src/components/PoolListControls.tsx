/** The search box and order of a pool list (buyer's and curator's). */
import type { PoolListState } from "../hooks/usePoolList";
import { POOL_ORDERS, type PoolOrder } from "../logic/poolList";

export function PoolListControls({
  id,
  list,
}: {
  /** Prefix of the inputs' ids, unique on the page. */
  id: string;
  /** The list's search and order (usePoolList). */
  list: PoolListState;
}) {
  const props = {
    id,
    query: list.query,
    onQueryChange: list.setQuery,
    order: list.order,
    onOrderChange: list.setOrder,
    shown: list.summary, // "3 of 5 pools", said to screen readers when the search changes
  };
  return (
    <div className="row pool-list-controls" role="search">
      <div>
        <label htmlFor={`${props.id}-search`}>Search pools (name, description, category)</label>
        <input
          id={`${props.id}-search`}
          type="search"
          value={props.query}
          onChange={(event) => props.onQueryChange(event.target.value)}
        />
      </div>
      <div>
        <label htmlFor={`${props.id}-order`}>Sort by</label>
        <select
          id={`${props.id}-order`}
          value={props.order}
          onChange={(event) => props.onOrderChange(event.target.value as PoolOrder)}
        >
          {Object.entries(POOL_ORDERS).map(([key, words]) => (
            <option key={key} value={key}>
              {words}
            </option>
          ))}
        </select>
      </div>
      <p className="muted" aria-live="polite">
        {props.shown}
      </p>
    </div>
  );
}
