// What a layer kind is: the one interface every kind of layer implements (dense.ts,
// batchnorm.ts, layernorm.ts, dropout.ts, …), so that Model (nn/model.ts) only orchestrates —
// reserves the kinds' parameters in the flat buffers, allocates their scratch, runs them in
// order forward and in reverse backward, applies activations — and never switches on a kind.
// A new kind is one file implementing LayerKind plus one line in registry.ts (torch.nn's one
// module per kind; ../shared/STYLE.md).
//
// Shapes. Every layer maps a batch of n samples of `inputs` floats (per-sample width) to n
// samples of `units` floats, row-major, one sample per row: that is all the orchestration needs.
// Layers that see samples as images also carry `image` = [h, w, c] of their output, in the
// library's activation layout (NHWC: a sample is h·w rows of c channels).
// Parameters. A kind reserves its weight and bias in the model's flat parameter vector (and its
// gradient buffer, same offsets) and any running state in the state buffer; the layer object
// then holds views W, b, gW, gb (and runningMean, runningVar) into them.

import type { Engine } from '../../engine/engine.js';
import { DescentError } from '../../engine/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import type { Random } from '../../random.js';
import type { ActivationName } from '../activations.js';
import type { InitSpec } from '../init.js';
import type { LossName } from '../losses.js';

export type LayerType = 'dense' | 'batchnorm' | 'layernorm' | 'dropout' | 'conv2d' | 'maxpool2d' | 'avgpool2d' | 'globalavgpool' | 'flatten' | 'dropout2d';

/** An image-shaped sample in the activation layout: h rows of w pixels of c channels (NHWC). */
export type Image = readonly [h: number, w: number, c: number];

/** The activation of a layer's output, validated: name and α (leaky-relu slope, elu α). */
export interface Act { name: ActivationName; alpha: number }

/** What a kind's plan() decided for one layer of a spec, before anything is allocated. */
export interface Plan {
  type: LayerType;
  /** Rows and columns of the weight view W (Dense: inputs × units; norms: 1 × c; none: 0 × c). */
  inputs: number;
  units: number;
  /** Per-sample width of the layer's input and output (Dense: inputs and units). */
  fanIn: number;
  width: number;
  /** The output as an image, for layers whose output is one (convolution, pooling, …). */
  image?: Image;
  /** Kind-specific geometry (kernel, stride, padding, …), read by the kind and by describe(). */
  config?: Readonly<Record<string, number>>;
  act: Act;
  init: InitSpec;
  hasBias: boolean;
  weightOffset: number;
  biasOffset: number;
  eps?: number;
  momentum?: number;
  rate?: number;
  seed?: number;
  stateOffset?: number;
}

/**
 * A layer of the model, in spec order (index = position in spec.layers). Dense layers have
 * W [inputs, units] and b; batch/layer norm have W = γ as [1, c] and b = β (inputs 1, units c);
 * dropout has no parameters (inputs 0, W empty).
 */
export interface DenseLayer {
  readonly index: number;
  readonly type: LayerType;
  readonly inputs: number;
  readonly units: number;
  /** Floats per sample of the layer's output (Dense and the norms: units; a conv: h·w·filters). */
  readonly width: number;
  /** The output as an image [h, w, c] (NHWC), when it is one. */
  readonly image?: Image;
  /** Kind-specific geometry (conv and pooling: kernel, stride, padding, …). */
  readonly config?: Readonly<Record<string, number>>;
  readonly activation: ActivationName;
  readonly alpha: number;
  readonly kind: number;
  readonly hasBias: boolean;
  readonly init: InitSpec;
  /** Offsets into the flat parameter vector, in elements (bias −1 when absent). */
  readonly weightOffset: number;
  readonly biasOffset: number;
  readonly W: Tensor;
  readonly b: Tensor | undefined;
  readonly gW: Tensor;
  readonly gb: Tensor | undefined;
  /** batchnorm, layernorm: ε; batchnorm: momentum; dropout: rate and mask seed. */
  readonly eps?: number;
  readonly momentum?: number;
  readonly rate?: number;
  readonly seed?: number;
  /** batchnorm: running statistics (views into the model's state buffer). */
  readonly runningMean?: Tensor;
  readonly runningVar?: Tensor;
  describe(): string;
}

/** Per-batch scratch of a layer (tensors in the model's batch arena), named by its kind. */
export type Aux = Record<string, Tensor>;

/** What a kind's plan() gets besides its spec. */
export interface PlanContext {
  /** Position in spec.layers, and the prefix of error messages ("model: layer 3"). */
  index: number;
  name: string;
  first: boolean;
  last: boolean;
  loss: LossName;
  /** Per-sample width of the layer's input, and its image shape when it is one. */
  fanIn: number;
  image?: Image;
  /** Reserve floats in the flat parameter vector / the state buffer; returns the offset. */
  reserve(size: number): number;
  reserveState(size: number): number;
}

/** The model as a pass sees it. */
export interface PassContext {
  readonly engine: Engine;
  /** Keep masks and running statistics fixed (model.frozen). */
  readonly frozen: boolean;
  /** Training forward passes so far (the dropout masks' counter). */
  readonly passes: number;
  /** Whether the last forward pass ran in training mode. */
  readonly trainedPass: boolean;
}

export interface LayerKind {
  readonly type: LayerType;
  /** Validate a spec (its own keys included) and reserve parameters and state. Allocates nothing. */
  plan(spec: Record<string, unknown>, ctx: PlanContext): Plan;
  /** "Dense(784→100, relu)", for describe() and error messages. */
  describe(p: Plan): string;
  /** Set the parameters (and state) to their initial values; Dense draws from rng. */
  initialize(layer: DenseLayer, rng: Random, tmp: Float32Array): void;
  /** Scratch for batches of up to n rows. */
  scratch(layer: DenseLayer, n: number, empty: (size: number) => Tensor): Aux;
  /** Throws if a pass on n rows cannot run (batch norm in training mode needs 2 rows). */
  checkPass?(layer: DenseLayer, n: number, training: boolean): void;
  /** y (n × units) from input (n × fanIn), before the layer's activation. */
  forward(m: PassContext, layer: DenseLayer, aux: Aux, n: number, input: Tensor, y: Tensor, training: boolean): void;
  /**
   * Whether backward writes dX over dZ (the same memory: the layer keeps the width) rather
   * than into the model's other gradient buffer.
   */
  readonly inPlace: boolean;
  /**
   * From dZ (n × units, ∂L/∂ of the output before the activation): the parameter gradients
   * into gW, gb, and, when dX is given, ∂L/∂input into dX (n × fanIn).
   */
  backward(m: PassContext, layer: DenseLayer, aux: Aux, n: number, input: Tensor, dZ: Tensor, dX: Tensor | undefined): void;
}

/** Throws unless every own key of `o` is one of `known` (so toString, constructor, __proto__ are refused). */
export function checkKeys(o: object, known: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new DescentError(`${what}: unknown key ${JSON.stringify(k)}; known: ${known.join(', ')}`);
}
