import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { DescentError } from '../src/engine/errors.js';
import { gemm, matmul } from '../src/ops/gemm.js';
import { add, axpy, copy, dot, scale } from '../src/ops/vector.js';

describe('bad input raises errors that name the operation and the shapes', () => {
  const e = Engine.createSync({ isa: 'simd' });
  const A = e.keep(e.tensor([3, 4]));
  const B = e.keep(e.tensor([5, 6]));
  const C = e.keep(e.tensor([3, 6]));

  it('shape mismatches', () => {
    expect(() => gemm(C, A, B)).toThrow(DescentError);
    expect(() => gemm(C, A, B)).toThrow('gemm(A·B): inner dimensions differ: op(A) is 3×4, op(B) is 5×6 (A [3, 4], B [5, 6], C [3, 6])');
    expect(() => matmul(A, B, { transB: true })).toThrow('gemm(A·Bᵀ): inner dimensions differ: op(A) is 3×4, op(B) is 6×5 (A [3, 4], B [5, 6])');
    expect(() => gemm(e.tensor([4, 5]), A, e.tensor([3, 6]), { transA: true })).toThrow('gemm(Aᵀ·B): C must be 4×6, got [4, 5]');
    expect(() => gemm(C, A, e.tensor([4, 6]), { bias: e.tensor([5]) })).toThrow(/gemm\(A·B\): bias must hold 6 values .*got \[5\]/);
    expect(() => matmul(e.tensor([12]), B)).toThrow('gemm(A·B): A must have rank 2, got [12]');
    expect(() => dot(e.tensor([3]), e.tensor([4]))).toThrow('dot: x [3] and y [4] differ in size (3 vs 4)');
    expect(() => add(e.tensor([2, 3]), e.tensor([3, 2]))).toThrow('add: x [2, 3] and y [3, 2] must have the same shape');
    expect(() => axpy(1, e.tensor([2]), e.tensor([3]))).toThrow('axpy: x [2] and y [3] differ in size');
    expect(() => copy(e.tensor([2]), e.tensor([3]))).toThrow('copy: src [2] and dst [3] differ in size');
  });

  it('negative or non-integer sizes', () => {
    expect(() => e.tensor([3, -1])).toThrow('tensor: shape must hold non-negative integers, got [3, -1]');
    expect(() => e.tensor([2.5])).toThrow('tensor: shape must hold non-negative integers, got [2.5]');
    expect(() => e.tensor([NaN, 2])).toThrow(/non-negative integers, got \[NaN, 2\]/);
    expect(() => e.tensor('3' as never)).toThrow(/shape must be an array/);
    expect(() => e.tensor([2, 2], [1, 2, 3])).toThrow('tensor: shape [2,2] needs 4 values, got 3');
    expect(() => A.reshape([5, 3])).toThrow('reshape: cannot view [3, 4] (12 elements) as [5, 3] (15)');
    expect(() => A.view(10, [3])).toThrow('view: [3] at offset 10 does not fit in [3, 4]');
  });

  it('non-finite α, β and scalars', () => {
    const B4 = e.tensor([4, 6]);
    expect(() => gemm(C, A, B4, { alpha: NaN })).toThrow('gemm(A·B): alpha must be a finite number, got NaN');
    expect(() => gemm(C, A, B4, { beta: Infinity })).toThrow('gemm(A·B): beta must be a finite number, got Infinity');
    expect(() => matmul(A, B4, { alpha: -Infinity })).toThrow(/alpha must be a finite number/);
    expect(() => axpy(NaN, A, A)).toThrow('axpy: a must be a finite number, got NaN');
    expect(() => scale(A, Infinity)).toThrow('scale: a must be a finite number, got Infinity');
    expect(() => gemm(C, A, B4, { alfa: 2 } as never)).toThrow('gemm(A·B): unknown option "alfa"');
  });

  it('aliasing that would corrupt the result', () => {
    const flat = e.tensor([40]);
    const X = flat.view(0, [4, 4]);
    const Y = flat.view(8, [4, 4]);
    expect(() => gemm(Y, X, e.tensor([4, 4]))).toThrow(/gemm\(A·B\): C overlaps an input/);
    expect(() => add(X, X, Y)).toThrow('add: out [4, 4] partly overlaps x [4, 4]');
  });

  it('a failed call leaves its output untouched', () => {
    const out = e.tensor([3, 6], new Array(18).fill(7));
    expect(() => gemm(out, A, e.tensor([4, 6]), { beta: NaN })).toThrow(/beta/);
    expect(Array.from(out.data)).toEqual(new Array(18).fill(7));
  });

  it('tensors of another engine and non-tensors', () => {
    const other = Engine.createSync({ isa: 'simd' });
    expect(() => gemm(C, A, other.tensor([4, 6]))).toThrow('gemm(A·B): B [4, 6] belongs to another engine');
    expect(() => gemm(C, A, [[1]] as never)).toThrow('gemm(A·B): B must be a Tensor, got object');
  });
});
