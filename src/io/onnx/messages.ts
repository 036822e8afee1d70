// The ONNX messages descent reads and writes (onnx/onnx.proto, field numbers in the tables
// below), as plain objects, over the wire format of protobuf.ts. Only the fields an MLP needs
// are decoded; every other field is skipped (sub-graphs of control-flow attributes included:
// their nodes would be refused anyway). Tensor data stays a view of the input until a caller
// asks for it as floats or integers, and then its size is checked against the dims first.

import { DescentError } from '../../engine/errors.js';
import { ProtoReader, ProtoWriter, WIRE_I32, WIRE_I64, WIRE_LEN, type Field } from './protobuf.js';

/** TensorProto.DataType values used here. */
export const DT_FLOAT = 1, DT_INT32 = 6, DT_INT64 = 7, DT_DOUBLE = 11;
/** AttributeProto.AttributeType values used here. */
export const AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4, AT_FLOATS = 6, AT_INTS = 7;

/** Limits on what an ONNX file may declare (far above any MLP, far below what would hurt). */
export const LIMITS = { elements: 2 ** 28, rank: 16, nodes: 100_000, attributes: 1_000, values: 2 ** 20 } as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  raw?: Uint8Array;
  floatData: Uint8Array[];
  floatCount: number;
  intData: number[];
  doubleData: Uint8Array[];
  external: boolean;
  at: number;
}

export interface OnnxAttribute { name: string; type: number; f?: number; i?: number; s?: string; t?: OnnxTensor; floats: number[]; ints: number[] }
export interface OnnxNode { name: string; opType: string; domain: string; inputs: string[]; outputs: string[]; attributes: Map<string, OnnxAttribute>; index: number }
/** A graph input/output: name, element type and dims (a number, a symbolic name, or undefined). */
export interface OnnxValueInfo { name: string; elemType: number; dims: (number | string | undefined)[] | undefined }
export interface OnnxGraph { name: string; nodes: OnnxNode[]; initializers: OnnxTensor[]; inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] }
export interface OnnxModel { irVersion: number; opsets: Map<string, number>; producer: string; graph: OnnxGraph | undefined; metadata: Map<string, string> }

// ---- decoding ----

export function decodeModel(bytes: Uint8Array, what = 'onnx model'): OnnxModel {
  if (!(bytes instanceof Uint8Array)) throw new DescentError(`${what}: expected bytes (Uint8Array)`);
  const r = new ProtoReader(bytes, what);
  const m: OnnxModel = { irVersion: 0, opsets: new Map(), producer: '', graph: undefined, metadata: new Map() };
  for (let f = r.next(); f; f = r.next()) {
    switch (f.no) {
      case 1: m.irVersion = r.int(f, 'ModelProto.ir_version'); break;
      case 2: m.producer = r.string(f, 'ModelProto.producer_name'); break;
      case 7: r.expect(f, WIRE_LEN, 'ModelProto.graph'); m.graph = decodeGraph(r.sub(f)); break;
      case 8: {
        r.expect(f, WIRE_LEN, 'ModelProto.opset_import');
        const s = r.sub(f);
        let domain = '', version = NaN;
        for (let g = s.next(); g; g = s.next()) {
          if (g.no === 1) domain = s.string(g, 'OperatorSetIdProto.domain');
          else if (g.no === 2) version = s.int(g, 'OperatorSetIdProto.version');
        }
        m.opsets.set(domain === 'ai.onnx' ? '' : domain, version);
        break;
      }
      case 14: {
        r.expect(f, WIRE_LEN, 'ModelProto.metadata_props');
        const [k, v] = stringPair(r.sub(f));
        m.metadata.set(k, v);
        break;
      }
    }
  }
  return m;
}

function stringPair(s: ProtoReader): [string, string] {
  let k = '', v = '';
  for (let g = s.next(); g; g = s.next()) {
    if (g.no === 1) k = s.string(g, 'StringStringEntryProto.key');
    else if (g.no === 2) v = s.string(g, 'StringStringEntryProto.value');
  }
  return [k, v];
}

function decodeGraph(r: ProtoReader): OnnxGraph {
  const g: OnnxGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [] };
  for (let f = r.next(); f; f = r.next()) {
    switch (f.no) {
      case 1:
        r.expect(f, WIRE_LEN, 'GraphProto.node');
        if (g.nodes.length >= LIMITS.nodes) r.fail(`more than ${LIMITS.nodes} nodes`, f.at);
        g.nodes.push(decodeNode(r.sub(f), g.nodes.length));
        break;
      case 2: g.name = r.string(f, 'GraphProto.name'); break;
      case 5:
        r.expect(f, WIRE_LEN, 'GraphProto.initializer');
        if (g.initializers.length >= LIMITS.nodes) r.fail(`more than ${LIMITS.nodes} initializers`, f.at);
        g.initializers.push(decodeTensor(r.sub(f)));
        break;
      case 15: r.fail('sparse initializers are not supported', f.at); break;
      case 11: case 12:
        r.expect(f, WIRE_LEN, 'GraphProto.input/output');
        if (g.inputs.length + g.outputs.length >= LIMITS.nodes) r.fail(`more than ${LIMITS.nodes} graph inputs and outputs`, f.at);
        (f.no === 11 ? g.inputs : g.outputs).push(decodeValueInfo(r.sub(f)));
        break;
    }
  }
  return g;
}

function decodeNode(r: ProtoReader, index: number): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map(), index };
  for (let f = r.next(); f; f = r.next()) {
    switch (f.no) {
      case 1: n.inputs.push(r.string(f, 'NodeProto.input')); break;
      case 2: n.outputs.push(r.string(f, 'NodeProto.output')); break;
      case 3: n.name = r.string(f, 'NodeProto.name'); break;
      case 4: n.opType = r.string(f, 'NodeProto.op_type'); break;
      case 7: n.domain = r.string(f, 'NodeProto.domain'); break;
      case 5: {
        r.expect(f, WIRE_LEN, 'NodeProto.attribute');
        if (n.attributes.size >= LIMITS.attributes) r.fail(`more than ${LIMITS.attributes} attributes`, f.at);
        const a = decodeAttribute(r.sub(f));
        if (n.attributes.has(a.name)) r.fail(`attribute ${JSON.stringify(a.name)} given twice`, f.at);
        n.attributes.set(a.name, a);
        break;
      }
    }
    if (n.inputs.length + n.outputs.length > LIMITS.attributes) r.fail(`more than ${LIMITS.attributes} node inputs and outputs`, f.at);
  }
  return n;
}

function decodeAttribute(r: ProtoReader): OnnxAttribute {
  const a: OnnxAttribute = { name: '', type: 0, floats: [], ints: [] };
  for (let f = r.next(); f; f = r.next()) {
    switch (f.no) {
      case 1: a.name = r.string(f, 'AttributeProto.name'); break;
      case 20: a.type = r.int(f, 'AttributeProto.type'); break;
      case 2: a.f = r.float(f, 'AttributeProto.f'); break;
      case 3: a.i = r.int(f, 'AttributeProto.i'); break;
      case 4: a.s = r.string(f, 'AttributeProto.s'); break;
      case 5: r.expect(f, WIRE_LEN, 'AttributeProto.t'); a.t = decodeTensor(r.sub(f)); break;
      case 7:
        if (f.wire === WIRE_I32) a.floats.push(r.float(f, 'AttributeProto.floats'));
        else {
          r.expect(f, WIRE_LEN, 'AttributeProto.floats');
          const b = f.bytes!;
          if (b.length % 4 !== 0) r.fail('AttributeProto.floats: packed length is not a multiple of 4', f.at);
          if (a.floats.length + b.length / 4 > LIMITS.values) r.fail(`AttributeProto.floats: more than ${LIMITS.values} values`, f.at);
          const dv = new DataView(b.buffer, b.byteOffset, b.length);
          for (let i = 0; i < b.length; i += 4) a.floats.push(dv.getFloat32(i, true));
        }
        break;
      case 8: r.ints(f, a.ints, 'AttributeProto.ints', LIMITS.values); break;
    }
  }
  return a;
}

function decodeValueInfo(r: ProtoReader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: 0, dims: undefined };
  for (let f = r.next(); f; f = r.next()) {
    if (f.no === 1) v.name = r.string(f, 'ValueInfoProto.name');
    else if (f.no === 2) {
      r.expect(f, WIRE_LEN, 'ValueInfoProto.type');
      const t = r.sub(f);
      for (let g = t.next(); g; g = t.next()) {
        if (g.no !== 1) continue; // tensor_type; sequences and maps stay elemType 0
        t.expect(g, WIRE_LEN, 'TypeProto.tensor_type');
        const tt = t.sub(g);
        for (let h = tt.next(); h; h = tt.next()) {
          if (h.no === 1) v.elemType = tt.int(h, 'TypeProto.Tensor.elem_type');
          else if (h.no === 2) {
            tt.expect(h, WIRE_LEN, 'TypeProto.Tensor.shape');
            const s = tt.sub(h);
            v.dims = [];
            for (let d = s.next(); d; d = s.next()) {
              if (d.no !== 1) continue;
              s.expect(d, WIRE_LEN, 'TensorShapeProto.dim');
              if (v.dims.length >= LIMITS.rank) s.fail(`rank over ${LIMITS.rank}`, d.at);
              const dr = s.sub(d);
              let dim: number | string | undefined;
              for (let e = dr.next(); e; e = dr.next()) {
                if (e.no === 1) dim = dr.int(e, 'Dimension.dim_value');
                else if (e.no === 2) dim = dr.string(e, 'Dimension.dim_param');
              }
              v.dims.push(dim);
            }
          }
        }
      }
    }
  }
  return v;
}

function decodeTensor(r: ProtoReader): OnnxTensor {
  const t: OnnxTensor = { name: '', dims: [], dataType: 0, floatData: [], floatCount: 0, intData: [], doubleData: [], external: false, at: r.base };
  for (let f = r.next(); f; f = r.next()) {
    switch (f.no) {
      case 1: r.ints(f, t.dims, 'TensorProto.dims', LIMITS.rank); break;
      case 2: t.dataType = r.int(f, 'TensorProto.data_type'); break;
      case 8: t.name = r.string(f, 'TensorProto.name'); break;
      case 9: r.expect(f, WIRE_LEN, 'TensorProto.raw_data'); t.raw = f.bytes; break;
      case 4:
        // packed (LEN of 4-byte floats) or one fixed32 per value
        if (f.wire !== WIRE_LEN && f.wire !== WIRE_I32) r.fail('TensorProto.float_data: wrong wire type', f.at);
        if (f.bytes!.length % 4 !== 0) r.fail('TensorProto.float_data: packed length is not a multiple of 4', f.at);
        t.floatData.push(f.bytes!);
        t.floatCount += f.bytes!.length / 4;
        break;
      case 10:
        if (f.wire !== WIRE_LEN && f.wire !== WIRE_I64) r.fail('TensorProto.double_data: wrong wire type', f.at);
        if (f.bytes!.length % 8 !== 0) r.fail('TensorProto.double_data: packed length is not a multiple of 8', f.at);
        t.doubleData.push(f.bytes!);
        break;
      case 5: case 7: r.ints(f, t.intData, f.no === 5 ? 'TensorProto.int32_data' : 'TensorProto.int64_data', LIMITS.values); break;
      case 14: t.external = r.int(f, 'TensorProto.data_location') === 1; break;
    }
  }
  return t;
}

/** Element count of a tensor from its dims, checked (each dim a non-negative integer, product ≤ LIMITS.elements). */
export function elementCount(t: OnnxTensor, what: string): number {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new DescentError(`${what}: tensor ${JSON.stringify(t.name)} has dimension ${d}`);
    n *= d;
    if (n > LIMITS.elements) throw new DescentError(`${what}: tensor ${JSON.stringify(t.name)} of dims [${t.dims.join(', ')}] has more than ${LIMITS.elements} elements`);
  }
  return n;
}

/** A FLOAT (or DOUBLE) tensor's values, its size checked against its dims before anything is allocated. */
export function tensorFloats(t: OnnxTensor, what: string): Float32Array {
  const n = elementCount(t, what);
  const name = JSON.stringify(t.name);
  if (t.external) throw new DescentError(`${what}: tensor ${name} keeps its data in an external file, which is not supported (save the model with its weights inside)`);
  if (t.dataType !== DT_FLOAT && t.dataType !== DT_DOUBLE) throw new DescentError(`${what}: tensor ${name} has data type ${t.dataType}, expected FLOAT (1)`);
  const width = t.dataType === DT_FLOAT ? 4 : 8;
  const chunks = t.raw !== undefined ? [t.raw] : t.dataType === DT_FLOAT ? t.floatData : t.doubleData;
  const bytes = chunks.reduce((s, c) => s + c.length, 0);
  if (bytes !== n * width) throw new DescentError(`${what}: tensor ${name} of dims [${t.dims.join(', ')}] holds ${bytes / width} values, expected ${n}`);
  const out = new Float32Array(n);
  let k = 0;
  for (const c of chunks) {
    const dv = new DataView(c.buffer, c.byteOffset, c.length);
    for (let i = 0; i < c.length; i += width) out[k++] = width === 4 ? dv.getFloat32(i, true) : dv.getFloat64(i, true);
  }
  return out;
}

/** An INT64 or INT32 tensor's values (shapes of Reshape), size checked as tensorFloats. */
export function tensorInts(t: OnnxTensor, what: string): number[] {
  const n = elementCount(t, what);
  const name = JSON.stringify(t.name);
  if (t.dataType !== DT_INT64 && t.dataType !== DT_INT32) throw new DescentError(`${what}: tensor ${name} has data type ${t.dataType}, expected INT64 (7)`);
  if (n > LIMITS.values) throw new DescentError(`${what}: tensor ${name} has too many integers (${n})`);
  if (t.raw === undefined) {
    if (t.intData.length !== n) throw new DescentError(`${what}: tensor ${name} of dims [${t.dims.join(', ')}] holds ${t.intData.length} values, expected ${n}`);
    return t.intData.slice();
  }
  const width = t.dataType === DT_INT64 ? 8 : 4;
  if (t.raw.length !== n * width) throw new DescentError(`${what}: tensor ${name} of dims [${t.dims.join(', ')}] holds ${t.raw.length / width} values, expected ${n}`);
  const dv = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(width === 8 ? Number(dv.getBigInt64(i * 8, true)) : dv.getInt32(i * 4, true));
  return out;
}

// ---- encoding ----

export interface TensorOut { name: string; dims: number[]; data: Float32Array }
export interface AttributeOut { name: string; f?: number; i?: number; ints?: number[] }
export interface NodeOut { name: string; opType: string; inputs: string[]; outputs: string[]; attributes?: AttributeOut[] }
/** dims: numbers, or a string for a symbolic dimension ("batch"). */
export interface ValueOut { name: string; dims: (number | string)[] }
export interface ModelOut {
  irVersion: number; opset: number; producer: string; producerVersion: string; graphName: string; doc?: string;
  nodes: NodeOut[]; initializers: TensorOut[]; inputs: ValueOut[]; outputs: ValueOut[]; metadata: [string, string][];
}

export function encodeModel(m: ModelOut): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion).string(2, m.producer).string(3, m.producerVersion);
  if (m.doc) w.string(6, m.doc);
  w.message(8, (o) => o.string(1, '').int(2, m.opset));
  for (const [k, v] of m.metadata) w.message(14, (e) => e.string(1, k).string(2, v));
  // the graph last: a file cut anywhere short of its end then has no graph or a truncated one
  w.message(7, (g) => encodeGraph(g, m));
  return w.finish();
}

function encodeGraph(g: ProtoWriter, m: ModelOut): void {
  for (const n of m.nodes) {
    g.message(1, (w) => {
      for (const i of n.inputs) w.string(1, i);
      for (const o of n.outputs) w.string(2, o);
      w.string(3, n.name).string(4, n.opType);
      for (const a of n.attributes ?? []) w.message(5, (aw) => encodeAttribute(aw, a));
    });
  }
  g.string(2, m.graphName);
  for (const t of m.initializers) {
    g.message(5, (w) => {
      w.packedInts(1, t.dims).int(2, DT_FLOAT).string(8, t.name);
      w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    });
  }
  for (const v of m.inputs) g.message(11, (w) => encodeValueInfo(w, v));
  for (const v of m.outputs) g.message(12, (w) => encodeValueInfo(w, v));
}

function encodeAttribute(w: ProtoWriter, a: AttributeOut): void {
  w.string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f).int(20, AT_FLOAT);
  else if (a.i !== undefined) w.int(3, a.i).int(20, AT_INT);
  else if (a.ints !== undefined) w.packedInts(8, a.ints).int(20, AT_INTS);
}

function encodeValueInfo(w: ProtoWriter, v: ValueOut): void {
  w.string(1, v.name);
  w.message(2, (t) => t.message(1, (tt) => {
    tt.int(1, DT_FLOAT);
    tt.message(2, (s) => {
      for (const d of v.dims) s.message(1, (dw) => (typeof d === 'number' ? dw.int(1, d) : dw.string(2, d)));
    });
  }));
}

export type { Field };
