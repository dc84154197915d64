/**
 * The tag export's CSV (RFC 4180): one row per product and tag, `product_id,attribute,label,confidence`,
 * for review in a spreadsheet. Fields with a comma, quote or line break are quoted; a field a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR first) is prefixed with a quote mark (OWASP
 * "CSV injection"): product ids and labels come from the catalog and merchandisers' uploads.
 */
import type { ProductTagRow } from '@vsearch/contracts';

export const TAG_CSV_HEADER = 'product_id,attribute,label,confidence\r\n';

export function csvField(value: string): string {
  const defused = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) ? `"${defused.replaceAll('"', '""')}"` : defused;
}

/** Rows, each ended by CRLF; confidences with four decimals. */
export function tagRowsToCsv(rows: readonly ProductTagRow[]): string {
  return rows.map((row) => `${csvField(row.productId)},${csvField(row.attribute)},${csvField(row.label)},${row.confidence.toFixed(4)}\r\n`).join('');
}
