/** The search box and order of a pool list (buyer's and curator's). */
import { POOL_ORDERS, type PoolOrder } from "../logic/poolList";

export function PoolListControls(props: {
  /** Prefix of the inputs' ids, unique on the page. */
  id: string;
  query: string;
  onQueryChange(query: string): void;
  order: PoolOrder;
  onOrderChange(order: PoolOrder): void;
  /** "3 of 5 pools", said to screen readers when the search changes. */
  shown: string;
}) {
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
