// The layer kinds a model spec may name, by `type` (a spec without one is Dense). A new kind is
// one file implementing LayerKind (layer.ts) and one line here.

import { DescentError } from '../../engine/errors.js';
import { avgpool2d } from './avgpool2d.js';
import { batchnorm } from './batchnorm.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { dropout2d } from './dropout2d.js';
import { flatten } from './flatten.js';
import { globalavgpool } from './globalavgpool.js';
import type { LayerKind } from './layer.js';
import { layernorm } from './layernorm.js';
import { maxpool2d } from './maxpool2d.js';

const KINDS: Readonly<Record<string, LayerKind>> = Object.freeze({
  dense,
  batchnorm,
  layernorm,
  dropout,
  conv2d,
  maxpool2d,
  avgpool2d,
  globalavgpool,
  flatten,
  dropout2d,
});

/** The kind of a layer type, or a DescentError listing the known ones. */
export function layerKind(type: unknown, name: string): LayerKind {
  const k = typeof type === 'string' && Object.hasOwn(KINDS, type) ? KINDS[type] : undefined;
  if (!k) throw new DescentError(`${name}: unknown layer type ${JSON.stringify(type)} (${Object.keys(KINDS).join(', ')})`);
  return k;
}
