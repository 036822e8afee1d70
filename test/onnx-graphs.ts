// Hand-built ONNX files for the import and fuzz tests: a ModelProto written field by field with
// the package's ProtoWriter, so a test can say exactly what is in it (float_data or raw_data,
// INT64 shapes, wrong types, cycles…). Field numbers: onnx/onnx.proto.
import { ProtoWriter } from '../src/io/onnx/protobuf.js';

export interface TInit { name: string; dims: number[]; dataType?: number; floats?: ArrayLike<number>; raw?: Uint8Array; floatData?: ArrayLike<number>; int64s?: number[] }
export interface TAttr { name: string; f?: number; i?: number; type?: number; t?: TInit }
export interface TNode { op: string; inputs: string[]; outputs: string[]; name?: string; attrs?: TAttr[]; domain?: string }
export interface TValue { name: string; dims?: (number | string)[]; elemType?: number }
export interface TModel { opset?: number; nodes: TNode[]; inits?: TInit[]; inputs: TValue[]; outputs: TValue[] }

function tensor(w: ProtoWriter, t: TInit): void {
  w.packedInts(1, t.dims).int(2, t.dataType ?? 1).string(8, t.name);
  if (t.raw) w.bytes(9, t.raw);
  else if (t.floats) w.bytes(9, new Uint8Array(Float32Array.from(t.floats).buffer));
  else if (t.floatData) w.bytes(4, new Uint8Array(Float32Array.from(t.floatData).buffer));
  else if (t.int64s) w.packedInts(7, t.int64s);
}

function value(w: ProtoWriter, v: TValue): void {
  w.string(1, v.name).message(2, (t) => t.message(1, (tt) => {
    tt.int(1, v.elemType ?? 1);
    if (v.dims) tt.message(2, (s) => { for (const d of v.dims!) s.message(1, (dw) => (typeof d === 'number' ? dw.int(1, d) : dw.string(2, d))); });
  }));
}

export function onnxBytes(m: TModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8).string(2, 'test');
  w.message(8, (o) => o.string(1, '').int(2, m.opset ?? 13));
  w.message(7, (g) => {
    m.nodes.forEach((n, k) => g.message(1, (nw) => {
      for (const i of n.inputs) nw.string(1, i);
      for (const o of n.outputs) nw.string(2, o);
      nw.string(3, n.name ?? `n${k}`).string(4, n.op);
      if (n.domain !== undefined) nw.string(7, n.domain);
      for (const a of n.attrs ?? []) nw.message(5, (aw) => {
        aw.string(1, a.name);
        if (a.f !== undefined) aw.float(2, a.f).int(20, a.type ?? 1);
        if (a.i !== undefined) aw.int(3, a.i).int(20, a.type ?? 2);
        if (a.t !== undefined) aw.message(5, (tw) => tensor(tw, a.t!)).int(20, a.type ?? 4);
      });
    }));
    g.string(2, 'g');
    for (const t of m.inits ?? []) g.message(5, (tw) => tensor(tw, t));
    for (const v of m.inputs) g.message(11, (vw) => value(vw, v));
    for (const v of m.outputs) g.message(12, (vw) => value(vw, v));
  });
  return w.finish();
}

/** A tf2onnx-style 4-3-2 MLP: MatMul + Add, Relu, MatMul + Add, Softmax; weights W1 [4, 3], W2 [3, 2]. */
export function tfStyle(): TModel {
  return {
    inputs: [{ name: 'x', dims: ['unk__0', 4] }],
    outputs: [{ name: 'y', dims: ['unk__0', 2] }],
    inits: [
      { name: 'W1', dims: [4, 3], floatData: [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, -1, 1.1, 1.2] },
      { name: 'b1', dims: [3], floats: [0.01, 0.02, -0.03] },
      { name: 'W2', dims: [3, 2], floats: [1, -1, 0.5, 0.25, -0.75, 2] },
      { name: 'b2', dims: [2], floatData: [0.1, -0.1] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'W1'], outputs: ['h1'] },
      { op: 'Add', inputs: ['h1', 'b1'], outputs: ['z1'] },
      { op: 'Relu', inputs: ['z1'], outputs: ['a1'] },
      { op: 'MatMul', inputs: ['a1', 'W2'], outputs: ['h2'] },
      { op: 'Add', inputs: ['h2', 'b2'], outputs: ['z2'] },
      { op: 'Softmax', inputs: ['z2'], outputs: ['y'], attrs: [{ name: 'axis', i: -1 }] },
    ],
  };
}
