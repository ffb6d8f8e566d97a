import type { ReactNode } from 'react';

export interface Column {
  readonly label: string;
  /** Right-aligned, tabular digits. */
  readonly number?: boolean;
  /** Announced to screen readers only (e.g. a column of row buttons). */
  readonly hidden?: boolean;
}

/** A scrollable table with a labelled header row; the rows are the children. */
export function DataTable({
  label,
  columns,
  children,
}: {
  label: string;
  columns: readonly Column[];
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.label} scope="col" className={column.number === true ? 'number' : undefined}>
                {column.hidden === true ? (
                  <span className="visually-hidden">{column.label}</span>
                ) : (
                  column.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
