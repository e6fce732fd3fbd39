/**
 * CSV data sets: one row per example, numeric feature columns and one label column. The header is detected
 * (a first row with a non-numeric feature cell is a header) unless stated. Labels that are all integers ≥ 0 are
 * class indices; any other labels are names, numbered in sorted order and returned as `labelNames`.
 * No quoting beyond stripping surrounding double quotes: numeric data sets do not need it.
 */
import type { LabelledData } from './digits.js';
import { dataError, dtypeError } from '../errors.js';
import { MAX_CLASSES, readMaybeGzip } from './idx.js';
import { nodeOnly } from '../node.js';

/** How `parseCsv`/`loadCsv` read a table. */
export interface CsvOptions {
  /** Column holding the label: `'first'`, `'last'`, a 0-based index, or a header name. Default: a header
   * column named label, class, target or y if there is one, else the last column. */
  label?: 'first' | 'last' | number | string;
  /** Whether the first row is a header (default `'auto'`). */
  header?: boolean | 'auto';
  /** Field separator (default: `,`, or `;` / tab when the first line has those and no commas). */
  delimiter?: string;
}

/** A parsed CSV table: features, labels, and the names found in it. */
export interface CsvData extends LabelledData {
  /** Column names of the features, when there was a header. */
  columns?: string[];
  /** Class names when labels were not integers: `labelNames[y[i]]`. */
  labelNames?: string[];
}

function csvError(source: string, message: string): Error {
  return dataError(source, message);
}

const LABEL_NAMES = ['label', 'labels', 'class', 'target', 'y'];

function unquote(cell: string): string {
  const t = cell.trim();
  return t.length >= 2 && t[0] === '"' && t[t.length - 1] === '"' ? t.slice(1, -1) : t;
}

function isNumeric(cell: string): boolean {
  return cell !== '' && Number.isFinite(Number(cell));
}

/**
 * Parses CSV text into labelled rows.
 * @example const data = parseCsv('a,b,label\n0.1,0.2,1\n', { label: 'label' });
 */
export function parseCsv(text: string, options: CsvOptions = {}, source = 'CSV data'): CsvData {
  if (typeof text !== 'string') throw dtypeError('parseCsv', 'text', 'a string', text);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw csvError(source, 'no rows');
  const first = lines[0];
  const delimiter = options.delimiter ?? (first.includes(',') ? ',' : first.includes(';') ? ';' : first.includes('\t') ? '\t' : ',');
  const firstCells = first.split(delimiter).map(unquote);
  const width = firstCells.length;
  if (width < 2) throw csvError(source, `line 1 has ${width} column; expected features and a label (delimiter '${delimiter}')`);

  let header: boolean;
  if (options.header === undefined || options.header === 'auto') {
    // A header has a non-numeric cell; a data row may only have a non-numeric label. Compare with row 2.
    const nonNumeric = firstCells.filter((c) => !isNumeric(c)).length;
    const secondCells = lines.length > 1 ? lines[1].split(delimiter).map(unquote) : [];
    const secondNonNumeric = secondCells.filter((c) => !isNumeric(c)).length;
    header = nonNumeric > secondNonNumeric || (nonNumeric > 0 && lines.length === 1);
  } else header = options.header;
  const names = header ? firstCells : null;

  let labelCol: number;
  const label = options.label;
  if (label === undefined) {
    const named = names ? names.findIndex((n) => LABEL_NAMES.includes(n.toLowerCase())) : -1;
    labelCol = named >= 0 ? named : width - 1;
  } else if (label === 'first') labelCol = 0;
  else if (label === 'last') labelCol = width - 1;
  else if (typeof label === 'number' || /^\d+$/.test(label)) labelCol = Number(label);
  else {
    labelCol = names ? names.indexOf(label) : -1;
    if (labelCol < 0) throw csvError(source, names ? `no column named '${label}' (columns: ${names.join(', ')})` : `label column '${label}' needs a header row, and there is none`);
  }
  if (!Number.isInteger(labelCol) || labelCol < 0 || labelCol >= width) throw csvError(source, `label column ${label} is outside the ${width} columns`);

  const rows = header ? lines.slice(1) : lines;
  const count = rows.length, features = width - 1;
  if (count === 0) throw csvError(source, 'a header but no data rows');
  const x = new Float32Array(count * features);
  const rawLabels: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const cells = rows[i].split(delimiter);
    const lineNo = i + (header ? 2 : 1);
    if (cells.length !== width) throw csvError(source, `line ${lineNo} has ${cells.length} columns, expected ${width}`);
    let f = i * features;
    for (let j = 0; j < width; j++) {
      if (j === labelCol) {
        rawLabels[i] = unquote(cells[j]);
        continue;
      }
      const cell = cells[j].trim();
      // float32 holds at most ±3.4e38: a larger value would silently become Infinity.
      const v = cell === '' ? NaN : Math.fround(Number(cell));
      if (!Number.isFinite(v)) throw csvError(source, `line ${lineNo}, column ${j + 1}${names ? ` (${names[j]})` : ''}: '${cells[j]}' is not a finite number`);
      x[f++] = v;
    }
  }

  const y = new Int32Array(count);
  let labelNames: string[] | undefined;
  let classes: number;
  if (rawLabels.every((l) => /^\d+$/.test(l))) {
    let max = 0, maxText = '0';
    for (const l of rawLabels) {
      const v = Number(l);
      if (v > max) [max, maxText] = [v, l];
    }
    // Integer labels are class indices; one beyond the cap is almost always an id or a measurement column.
    if (max >= MAX_CLASSES) {
      throw csvError(source, `label ${maxText} is a class index of ${max + 1} classes, more than the ${MAX_CLASSES} descent accepts (is the label column right? choose it with the label option)`);
    }
    rawLabels.forEach((l, i) => (y[i] = Number(l)));
    classes = max + 1;
  } else {
    labelNames = [...new Set(rawLabels)].sort();
    const index = new Map(labelNames.map((n, i) => [n, i]));
    rawLabels.forEach((l, i) => (y[i] = index.get(l)!));
    classes = labelNames.length;
  }
  const out: CsvData = { x, y, count, features, shape: [features], classes };
  if (names) out.columns = names.filter((_, j) => j !== labelCol);
  if (labelNames) out.labelNames = labelNames;
  return out;
}

/**
 * Reads a CSV file (plain or gzipped). Node only.
 * @example const data = loadCsv('iris.csv', { label: 'species' });
 */
export function loadCsv(file: string, options: CsvOptions = {}): CsvData {
  nodeOnly('loadCsv', 'fetch the file and pass its text to parseCsv(text, options).');
  const bytes = readMaybeGzip(file);
  let text: string;
  try {
    text = new TextDecoder().decode(bytes);
  } catch (error) {
    // V8 strings hold at most 2²⁹ − 24 characters.
    throw csvError(file, `${bytes.length} bytes of text are too long to parse as one CSV (${(error as Error).message})`);
  }
  return parseCsv(text, options, file);
}
