import type { ReactNode } from 'react'

/**
 * A table of rows that becomes a stack of cards on a narrow screen (each cell shows its column's
 * name from `data-label`). `actions` names a last, unlabelled column of buttons for screen readers.
 */
export function CardTable(props: { columns: string[]; actions?: string; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="cards">
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
            {props.actions ? (
              <th scope="col">
                <span className="sr-only">{props.actions}</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  )
}
