// The layer kinds a model spec may name, by `type` (a spec without one is Dense). A new kind is
// one file implementing LayerKind (layer.ts) and one line here.

import { DescentError } from '../../engine/errors.js';
import { batchnorm } from './batchnorm.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import type { LayerKind } from './layer.js';
import { layernorm } from './layernorm.js';

const KINDS: Readonly<Record<string, LayerKind>> = Object.freeze({
  dense,
  batchnorm,
  layernorm,
  dropout,
});

/** The kind of a layer type, or a DescentError listing the known ones. */
export function layerKind(type: unknown, name: string): LayerKind {
  const k = typeof type === 'string' && Object.hasOwn(KINDS, type) ? KINDS[type] : undefined;
  if (!k) throw new DescentError(`${name}: unknown layer type ${JSON.stringify(type)} (${Object.keys(KINDS).join(', ')})`);
  return k;
}
