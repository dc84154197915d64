/** Plain-text tables for terminal output: a header, a rule, left- or right-aligned columns, long cells cut with an ellipsis. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: 'left' | 'right';
  /** Longer cells are cut to this many characters. */
  maxWidth?: number;
}

export function renderTable<Row>(columns: Column<Row>[], rows: Row[]): string {
  const cells = rows.map((row) => columns.map((column) => clip(column.value(row), column.maxWidth)));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((line) => line[index].length)));
  const format = (line: string[]) =>
    line
      .map((cell, index) => (columns[index].align === 'right' ? cell.padStart(widths[index]) : cell.padEnd(widths[index])))
      .join('  ')
      .trimEnd();
  return [format(columns.map((column) => column.header)), format(widths.map((width) => '-'.repeat(width))), ...cells.map(format)].join('\n');
}

function clip(text: string, maxWidth?: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  if (!maxWidth || oneLine.length <= maxWidth) return oneLine;
  return `${oneLine.slice(0, Math.max(0, maxWidth - 1))}…`;
}
