// Delimited text (CSV, TSV, …) to a Dataset. Numeric feature columns only; the label column may
// hold integer class ids, class names, or (task 'regression') numbers.
//
// Accepted: CRLF / LF / CR line ends, a trailing newline, blank lines (skipped), blanks around
// fields, a UTF-8 byte-order mark, and fields in double quotes ("a ""b""") as long as a quoted
// field holds no line break. Line numbers in messages are 1-based physical lines of the text;
// column numbers (when there is no header) are 1-based too; the `label` option's index is 0-based.

import { DescentError } from '../engine/errors.js';
import { checkOptionKeys } from '../engine/options.js';
import type { Dataset } from './dataset.js';

export interface CsvOptions {
  /**
   * Label column: header name, or 0-based index (negative counts from the end). Default: last
   * column. null: no label column, every column is a feature (data to predict on).
   */
  label?: string | number | null;
  /**
   * Whether the first data line (after skipLines and blank lines) holds column names. 'auto'
   * (default): yes if, in every column where the second line has a number, the first line has
   * something else (if it is the only line: if none of its fields is a number). So a headerless
   * file with string class labels, or with a typo in its first line, is not taken for a header.
   */
  header?: boolean | 'auto';
  /** Field separator; default ','. Use '\t' for TSV. */
  delimiter?: string;
  /** 'classification' (default): label column → labels/classes; 'regression': → targets (width 1). */
  task?: 'classification' | 'regression';
  /** Lines to ignore at the top (blank or not), e.g. 1 for scikit-learn's `150,4,setosa,…` line. */
  skipLines?: number;
  /** Names for integer class ids 0..k−1 (classification with integer labels only). */
  classNames?: string[];
  name?: string;
}

/**
 * Strict decimal number ([+-] digits [. digits] [e [+-] digits], or .digits; no hex, no empty
 * string, no "Infinity"); NaN if not one. One pass over the characters (no regular expression:
 * a backtracking pattern took quadratic time on a long non-number); out-of-range values come
 * back as ±Infinity (see `f32`).
 */
function num(s: string): number {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) c = s.charCodeAt(++i); // + -
  let digits = 0;
  while (c >= 48 && c <= 57) {
    digits++;
    c = s.charCodeAt(++i);
  }
  if (c === 46) {
    // .
    c = s.charCodeAt(++i);
    while (c >= 48 && c <= 57) {
      digits++;
      c = s.charCodeAt(++i);
    }
  }
  if (digits === 0) return NaN;
  if (c === 101 || c === 69) {
    // e E
    c = s.charCodeAt(++i);
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    const from = i;
    while (c >= 48 && c <= 57) c = s.charCodeAt(++i);
    if (i === from) return NaN;
  }
  return i === n ? Number(s) : NaN;
}

/** Largest finite float32; values whose float32 rounding is ±Infinity are refused. */
const F32_MAX = 3.4028234663852886e38;

/** Field text for messages: long fields are cut, with their length. */
function show(s: string): string {
  return s.length <= 40 ? `'${s}'` : `'${s.slice(0, 24)}…' (${s.length} characters)`;
}

function splitLine(line: string, delim: string): string[] {
  if (!line.includes('"')) return line.split(delim).map((f) => f.trim());
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t') && !line.startsWith(delim, i)) i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          field += line.slice(i);
          i = line.length;
          break;
        }
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const d = line.indexOf(delim, i);
      i = d < 0 ? line.length : d;
      out.push(field);
    } else {
      const d = line.indexOf(delim, i);
      const end = d < 0 ? line.length : d;
      out.push(line.slice(i, end).trim());
      i = end;
    }
    if (i >= line.length) break;
    i += delim.length;
    if (i === line.length) {
      out.push('');
      break;
    }
  }
  return out;
}

/** Parses delimited text into a Dataset; see CsvOptions. Errors name the line and column. */
export function parseCsv(text: string, options?: CsvOptions): Dataset {
  const op = 'csv';
  if (typeof text !== 'string') throw new DescentError(`${op}: text must be a string, got ${text === null ? 'null' : typeof text}`);
  const opts = checkOptionKeys(options, op, ['label', 'header', 'delimiter', 'task', 'skipLines', 'classNames', 'name']);
  if (opts.header !== undefined && typeof opts.header !== 'boolean' && opts.header !== 'auto') {
    throw new DescentError(`${op}: header must be true, false or 'auto', got ${typeof opts.header === 'string' ? `'${opts.header}'` : typeof opts.header}`);
  }
  if (opts.classNames !== undefined && !(Array.isArray(opts.classNames) && opts.classNames.every((c) => typeof c === 'string'))) {
    throw new DescentError(`${op}: classNames must be an array of strings`);
  }
  if (opts.name !== undefined && typeof opts.name !== 'string') throw new DescentError(`${op}: name must be a string, got ${typeof opts.name}`);
  const delim = opts.delimiter ?? ',';
  if (typeof delim !== 'string' || delim.length === 0) throw new DescentError(`${op}: delimiter must be a non-empty string`);
  const task = opts.task ?? 'classification';
  if (task !== 'classification' && task !== 'regression') {
    throw new DescentError(`${op}: task must be 'classification' or 'regression', got ${typeof task === 'string' ? `'${task}'` : typeof task}`);
  }
  const skip = opts.skipLines ?? 0;
  if (!Number.isInteger(skip) || skip < 0) {
    throw new DescentError(`${op}: skipLines must be a non-negative integer, got ${typeof skip === 'number' ? skip : typeof skip}`);
  }

  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Non-blank lines after the skipped ones, split into fields: one flat row-major array of
  // fields and one of 1-based line numbers (a file of many tiny rows costs a few words per field,
  // not an array per row). Every line must have the first line's field count: checked line by
  // line, so a ragged file is refused at its first bad line without splitting the rest.
  let fields: string[] = [];
  const lineNo: number[] = [];
  let cols = 0;
  const len = text.length;
  for (let pos = 0, line = 1; pos <= len; line++) {
    let e = pos;
    let c = 0;
    while (e < len && (c = text.charCodeAt(e)) !== 10 && c !== 13) e++;
    const l = text.slice(pos, e);
    pos = e < len && c === 13 && text.charCodeAt(e + 1) === 10 ? e + 2 : e + 1;
    if (line <= skip || l.trim() === '') continue;
    // Split the untrimmed line (fields are trimmed one by one), so empty first or last fields
    // of tab-separated text survive.
    const row = splitLine(l, delim);
    if (lineNo.length === 0) {
      cols = row.length;
      if (cols < (opts.label === null ? 1 : 2)) {
        throw new DescentError(
          `${op}: line ${line} has ${cols} field${cols === 1 ? '' : 's'}; need at least one feature column and a label column` +
            ` (delimiter ${JSON.stringify(delim)})`,
        );
      }
    } else if (row.length !== cols) {
      throw new DescentError(
        `${op}: line ${line} has ${row.length} fields, expected ${cols} as on line ${lineNo[0]}` +
          (delim === ',' ? '' : ` (delimiter ${JSON.stringify(delim)})`) +
          // Most often the first line is a preamble (scikit-learn's `150,4,setosa,…`).
          (lineNo.length === 1 ? `; if line ${lineNo[0]} is not part of the table, skip it with skipLines` : ''),
      );
    }
    if (lineNo.length === 0) fields = row; // a wide first line is not copied
    else for (let k = 0; k < row.length; k++) fields.push(row[k]);
    lineNo.push(line);
  }
  if (lineNo.length === 0) {
    throw new DescentError(skip > 0 ? `${op}: empty file: no data lines after skipping ${skip} lines` : `${op}: empty file: no data lines`);
  }
  const at = (r: number, c: number): string => fields[r * cols + c];

  let header = opts.header ?? 'auto';
  if (header === 'auto') {
    const first = lineNo.length === 1 ? fields : fields.slice(0, cols);
    const next = lineNo.length > 1 ? fields.slice(cols, 2 * cols) : undefined;
    if (next) {
      // Columns that hold a number on the second line: all of them must be non-numbers on the
      // first line (a typo in a data line does not turn it into a header).
      const numeric = next.flatMap((f, c) => (Number.isNaN(num(f)) ? [] : [c]));
      header = numeric.length > 0 && numeric.every((c) => c < first.length && Number.isNaN(num(first[c])));
    } else {
      header = first.every((f) => Number.isNaN(num(f)));
    }
  }
  const names = header ? (lineNo.length === 1 ? fields : fields.slice(0, cols)) : undefined;
  const first = header ? 1 : 0;
  const n = lineNo.length - first;
  if (n === 0) throw new DescentError(`${op}: no data lines after the header on line ${lineNo[0]}`);
  const colName = (c: number): string => (names ? `column ${show(names[c])}` : `column ${c + 1}`);
  // A value float32 cannot hold (|v| > 3.4028235e38 after rounding) is refused here, with its
  // line and column, rather than becoming Infinity. Values that round to 0 or a denormal are fine.
  const tooBig = (s: string, r: number, c: number, what: string): DescentError =>
    new DescentError(
      `${op}: line ${lineNo[first + r]}, ${colName(c)}: ${what}${show(s)} is out of float32 range (magnitude at most ${F32_MAX.toPrecision(8)})`,
    );

  // Resolve the label column.
  let lc: number;
  const label = opts.label;
  if (label === null) {
    lc = -1;
  } else if (label === undefined) {
    lc = cols - 1;
  } else if (typeof label === 'number') {
    if (!Number.isInteger(label) || label < -cols || label >= cols) {
      throw new DescentError(`${op}: label column index ${label} is out of range: rows have ${cols} columns (indices 0..${cols - 1})`);
    }
    lc = label < 0 ? cols + label : label;
  } else if (typeof label === 'string') {
    if (!names) {
      throw new DescentError(`${op}: label column '${label}' is given by name, but the file has no header line (give a 0-based index)`);
    }
    const at = names.flatMap((nm, i) => (nm === label ? [i] : []));
    if (at.length === 0) {
      throw new DescentError(`${op}: unknown label column '${label}'; the header has ${names.slice(0, 20).map(show).join(', ')}${names.length > 20 ? `, … (${names.length} columns)` : ''}`);
    }
    if (at.length > 1) {
      throw new DescentError(`${op}: label column '${label}' is ambiguous: the header has it at columns ${at.map((i) => i + 1).join(' and ')}`);
    }
    lc = at[0];
  } else {
    throw new DescentError(`${op}: label must be a column name or index, got ${typeof label}`);
  }

  const features = lc < 0 ? cols : cols - 1;
  const x = new Float32Array(n * features);
  for (let r = 0; r < n; r++) {
    let o = r * features;
    for (let c = 0; c < cols; c++) {
      if (c === lc) continue;
      const s = at(first + r, c);
      const v = num(s);
      if (Number.isNaN(v)) {
        throw new DescentError(
          (s === ''
            ? `${op}: line ${lineNo[first + r]}, ${colName(c)}: empty field (missing value)`
            : `${op}: line ${lineNo[first + r]}, ${colName(c)}: ${show(s)} is not a number`) +
            (r === 0 && !names ? `; if line ${lineNo[0]} is not part of the table, skip it with skipLines (or set header: true)` : ''),
        );
      }
      const f = Math.fround(v);
      if (f - f !== 0) throw tooBig(s, r, c, '');
      x[o++] = f;
    }
  }

  const ds: Dataset = { x, n, features };
  if (names) ds.featureNames = names.filter((_, c) => c !== lc);
  if (opts.name !== undefined) ds.name = opts.name;
  if (lc < 0) return ds;

  if (task === 'regression') {
    if (opts.classNames !== undefined) throw new DescentError(`${op}: classNames only apply to task 'classification'`);
    const targets = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const s = at(first + r, lc);
      const v = num(s);
      if (Number.isNaN(v)) {
        throw new DescentError(
          s === ''
            ? `${op}: line ${lineNo[first + r]}, ${colName(lc)}: empty target (missing value)`
            : `${op}: line ${lineNo[first + r]}, ${colName(lc)}: target ${show(s)} is not a number`,
        );
      }
      const f = Math.fround(v);
      if (f - f !== 0) throw tooBig(s, r, lc, 'target ');
      targets[r] = f;
    }
    ds.targets = targets;
    ds.targetWidth = 1;
    return ds;
  }

  const labels = new Int32Array(n);
  let ids = true;
  let max = -1;
  for (let r = 0; r < n; r++) {
    const v = num(at(first + r, lc));
    if (!(Number.isInteger(v) && v >= 0 && v <= 0x7fffffff)) {
      ids = false;
      break;
    }
    labels[r] = v;
    if (v > max) max = v;
  }
  if (ids) {
    let classes = max + 1;
    if (opts.classNames !== undefined) {
      const cn = opts.classNames;
      if (!Array.isArray(cn) || cn.length < classes) {
        throw new DescentError(
          `${op}: classNames has ${Array.isArray(cn) ? cn.length : 'no'} names, but the labels go up to ${max} (${classes} classes)`,
        );
      }
      classes = cn.length;
      ds.classNames = cn.map(String);
    }
    ds.labels = labels;
    ds.classes = classes;
    return ds;
  }
  if (opts.classNames !== undefined) {
    throw new DescentError(`${op}: classNames applies to integer class ids; ${colName(lc)} holds names, which become the class names`);
  }
  // Class names: ids in order of first appearance.
  const index = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const s = at(first + r, lc);
    if (s === '') throw new DescentError(`${op}: line ${lineNo[first + r]}, ${colName(lc)}: empty label (missing value)`);
    let id = index.get(s);
    if (id === undefined) {
      id = index.size;
      index.set(s, id);
    }
    labels[r] = id;
  }
  ds.labels = labels;
  ds.classes = index.size;
  ds.classNames = [...index.keys()];
  return ds;
}
