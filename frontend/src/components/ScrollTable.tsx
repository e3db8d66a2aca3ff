/** A labelled table with column headers, scrolling sideways on a narrow screen. */
import type { ReactNode } from "react";

export function ScrollTable({
  label,
  columns,
  children,
}: {
  /** The table's accessible name. */
  label: string;
  /** Column headers, in order. */
  columns: string[];
  /** The body's rows. */
  children: ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table aria-label={label}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
