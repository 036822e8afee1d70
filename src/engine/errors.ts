// Errors raised by descent. Every message names the operation and, where there are any,
// the shapes involved: `gemm(A·Bᵀ): inner dimensions differ: A [3, 4], Bᵀ of [5, 6]`.

export class DescentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DescentError';
  }
}

/**
 * String(v) for an error message, safe for hostile values: String({ toString: 1 }) throws a
 * TypeError, which would replace the library's error with another exception type.
 */
export function show(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function fmtBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Throws unless x is a finite number; `what` is e.g. "gemm: alpha". */
export function checkFinite(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new DescentError(`${what} must be a finite number, got ${show(x)}`);
  }
  return x;
}
