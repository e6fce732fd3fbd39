/**
 * ONNX export: a `Sequential` as an ONNX model (IR version 8, opset 17 by default) that runs in onnxruntime and
 * any other ONNX runtime, in inference form (Dropout is the identity, BatchNorm uses its running statistics). The
 * batch axis is dynamic (`batch`); weights are initializers in raw little-endian float32. Encoded by protobufjs from
 * the onnx.proto3 subset in onnx-schema.ts. Layer → nodes: Linear → Gemm(transB=1) (MatMul + Add when a sample has
 * more than one axis), activations → their ONNX operators, Flatten → Flatten(axis=1) or Reshape, Conv2d → Conv,
 * MaxPool2d → MaxPool, AvgPool2d → AveragePool, AdaptiveAvgPool2d(1) → GlobalAveragePool, BatchNorm → BatchNormalization.
 */
import protobuf from 'protobufjs';
import { checkInt, checkOptions } from '../check.js';
import { optionError } from '../errors.js';
import type { Layer } from '../nn/layer.js';
import type { Sequential } from '../nn/sequential.js';
import { writeFileAtomic } from '../node.js';
import { ONNX_PROTO } from './onnx-schema.js';

export interface OnnxOptions {
  /** The default-domain opset to target, 13 to 21 (default 17). */
  opset?: number;
  /** Graph input name (default 'input'). */
  inputName?: string;
  /** Graph output name (default 'output'). */
  outputName?: string;
  /** Stored in the model's doc_string. */
  docString?: string;
}

/** ONNX IR version 8 (ONNX 1.10+): every runtime of the last years reads it. */
export const ONNX_IR_VERSION = 8;
const FLOAT = 1, INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

let root: protobuf.Root | null = null;
function schema(): protobuf.Root {
  root ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  return root;
}

interface Attribute { name: string; type: number; f?: number; i?: number; s?: Uint8Array; ints?: number[] }
interface NodeSpec { op_type: string; input: string[]; output: string[]; name: string; attribute: Attribute[] }
interface Initializer { name: string; dims: number[]; data_type: number; raw_data: Uint8Array }

/** Builds the graph: node list, initializers, fresh value names. */
class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: Initializer[] = [];
  private count = 0;
  constructor(readonly opset: number) {}

  value(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  node(op: string, input: string[], name: string, attrs: Record<string, number | number[] | string> = {}, output = this.value(name)): string {
    const attribute: Attribute[] = Object.entries(attrs).map(([key, v]) =>
      Array.isArray(v) ? { name: key, type: ATTR.INTS, ints: v }
        : typeof v === 'string' ? { name: key, type: ATTR.STRING, s: new TextEncoder().encode(v) }
          : Number.isInteger(v) && !FLOAT_ATTRS.has(key) ? { name: key, type: ATTR.INT, i: v }
            : { name: key, type: ATTR.FLOAT, f: v },
    );
    this.nodes.push({ op_type: op, input, output: [output], name: `${name}/${op}_${this.nodes.length}`, attribute });
    return output;
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    const copy = Float32Array.from(data);
    this.initializers.push({ name, dims, data_type: FLOAT, raw_data: new Uint8Array(copy.buffer) });
    return name;
  }

  int64s(name: string, values: number[]): string {
    const raw = new Uint8Array(8 * values.length), view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
    this.initializers.push({ name, dims: [values.length], data_type: INT64, raw_data: raw });
    return name;
  }

  scalar(name: string, value: number): string {
    this.initializers.push({ name, dims: [], data_type: FLOAT, raw_data: new Uint8Array(new Float32Array([value]).buffer) });
    return name;
  }
}

/** Attributes ONNX types as float even when the value happens to be an integer. */
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'momentum', 'gamma']);

type Any = Record<string, unknown>;

/** Adds the nodes of layer `i` reading `x` (per-sample shape `inShape`); returns the output value name. */
function exportLayer(g: GraphBuilder, layer: Layer, i: number, x: string, inShape: readonly number[], outShape: readonly number[]): string {
  const l = layer as unknown as Any, name = `${i}`;
  const param = (p: unknown) => (p as { data: Float32Array; shape: readonly number[] });
  switch (layer.type) {
    case 'Linear': {
      const w = param(l.weight), b = l.bias ? param(l.bias) : null;
      const [out, inF] = w.shape;
      if (inShape.length === 1) {
        const inputs = [x, g.floats(`${i}.weight`, [out, inF], w.data)];
        if (b) inputs.push(g.floats(`${i}.bias`, [out], b.data));
        return g.node('Gemm', inputs, name, { transB: 1 });
      }
      // [*, in] samples: MatMul broadcasts over the leading axes, Gemm would not.
      const wt = new Float32Array(inF * out);
      for (let r = 0; r < out; r++) for (let c = 0; c < inF; c++) wt[c * out + r] = w.data[r * inF + c];
      const y = g.node('MatMul', [x, g.floats(`${i}.weight_t`, [inF, out], wt)], name);
      return b ? g.node('Add', [y, g.floats(`${i}.bias`, [out], b.data)], name) : y;
    }
    case 'ReLU': return g.node('Relu', [x], name);
    case 'Sigmoid': return g.node('Sigmoid', [x], name);
    case 'Tanh': return g.node('Tanh', [x], name);
    case 'LeakyReLU': return g.node('LeakyRelu', [x], name, { alpha: Number(l.slope ?? l.negativeSlope) });
    case 'ELU': return g.node('Elu', [x], name, { alpha: (l.params as number[])[0] });
    case 'SiLU': return g.node('Mul', [x, g.node('Sigmoid', [x], name)], name);
    case 'GELU': {
      if (l.kind === 'gelu_tanh') {
        // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        const x3 = g.node('Mul', [x, g.node('Mul', [x, x], name)], name);
        const inner = g.node('Add', [x, g.node('Mul', [x3, g.scalar(`${i}.c`, 0.044715)], name)], name);
        const t = g.node('Tanh', [g.node('Mul', [inner, g.scalar(`${i}.k`, Math.sqrt(2 / Math.PI))], name)], name);
        return g.node('Mul', [g.node('Mul', [x, g.node('Add', [t, g.scalar(`${i}.one`, 1)], name)], name), g.scalar(`${i}.half`, 0.5)], name);
      }
      if (g.opset >= 20) return g.node('Gelu', [x], name);
      // 0.5·x·(1 + erf(x/√2))
      const e = g.node('Erf', [g.node('Mul', [x, g.scalar(`${i}.rsqrt2`, Math.SQRT1_2)], name)], name);
      return g.node('Mul', [g.node('Mul', [x, g.node('Add', [e, g.scalar(`${i}.one`, 1)], name)], name), g.scalar(`${i}.half`, 0.5)], name);
    }
    case 'Softplus': {
      const [beta] = l.params as number[];
      if (beta === 1) return g.node('Softplus', [x], name);
      const bx = g.node('Mul', [x, g.scalar(`${i}.beta`, beta)], name);
      return g.node('Div', [g.node('Softplus', [bx], name), g.scalar(`${i}.beta_div`, beta)], name);
    }
    case 'Softmax': return g.node('Softmax', [x], name, { axis: 1 });
    case 'Dropout': return x;
    case 'Flatten':
      if (outShape.length === 1) return g.node('Flatten', [x], name, { axis: 1 });
      return g.node('Reshape', [x, g.int64s(`${i}.shape`, [0, ...outShape])], name);
    case 'BatchNorm1d':
    case 'BatchNorm2d': {
      const c = inShape[0];
      const buffers = Object.fromEntries(layer.stateBuffers().map((b) => [b.name, b.data]));
      if (!buffers.running_mean || !buffers.running_var) {
        throw optionError('toOnnx', `layer ${i}`, 'a BatchNorm that tracks running statistics (ONNX BatchNormalization normalises with them)', layer.toString());
      }
      const weight = l.weight ? param(l.weight).data : new Float32Array(c).fill(1);
      const bias = l.bias ? param(l.bias).data : new Float32Array(c);
      const inputs = [
        x, g.floats(`${i}.weight`, [c], weight), g.floats(`${i}.bias`, [c], bias),
        g.floats(`${i}.running_mean`, [c], buffers.running_mean), g.floats(`${i}.running_var`, [c], buffers.running_var),
      ];
      return g.node('BatchNormalization', inputs, name, { epsilon: Number(l.eps ?? 1e-5) });
    }
    case 'Conv2d': {
      const w = param(l.weight), b = l.bias ? param(l.bias) : null;
      const k = l.kernelSize as number[], dil = l.dilation as number[];
      const inputs = [x, g.floats(`${i}.weight`, [...w.shape], w.data)];
      if (b) inputs.push(g.floats(`${i}.bias`, [...b.shape], b.data));
      return g.node('Conv', inputs, name, {
        kernel_shape: [...k], strides: [...(l.stride as number[])], dilations: [...dil], group: Number(l.groups ?? 1),
        pads: convPads(l, k, dil),
      });
    }
    case 'MaxPool2d':
    case 'AvgPool2d': {
      const p = l.padding as number[];
      const attrs: Record<string, number | number[]> = { kernel_shape: [...(l.kernelSize as number[])], strides: [...(l.stride as number[])], pads: [p[0], p[1], p[0], p[1]] };
      if (layer.type === 'AvgPool2d') attrs.count_include_pad = l.countIncludePad === false ? 0 : 1;
      return g.node(layer.type === 'MaxPool2d' ? 'MaxPool' : 'AveragePool', [x], name, attrs);
    }
    case 'AdaptiveAvgPool2d':
      if (outShape[1] === 1 && outShape[2] === 1) return g.node('GlobalAveragePool', [x], name);
      if (inShape[1] % outShape[1] === 0 && inShape[2] % outShape[2] === 0) {
        const kh = inShape[1] / outShape[1], kw = inShape[2] / outShape[2];
        return g.node('AveragePool', [x], name, { kernel_shape: [kh, kw], strides: [kh, kw] });
      }
      throw optionError('toOnnx', `layer ${i}`, 'an AdaptiveAvgPool2d whose input size is a multiple of its output size (ONNX has no adaptive pooling)', layer.toString());
    default:
      throw optionError('toOnnx', `layer ${i}`, 'a layer with an ONNX export (Linear, activations, Softmax, Flatten, Dropout, Conv2d, pooling, BatchNorm)', layer.type);
  }
}

/** ONNX pads [top, left, bottom, right]: PyTorch's 'same' puts the odd pixel at the bottom/right. */
function convPads(l: Any, k: number[], dil: number[]): number[] {
  if (l.paddingMode === 'same') {
    const total = [0, 1].map((a) => dil[a] * (k[a] - 1));
    return [Math.floor(total[0] / 2), Math.floor(total[1] / 2), total[0] - Math.floor(total[0] / 2), total[1] - Math.floor(total[1] / 2)];
  }
  const p = l.padding as number[];
  return [p[0], p[1], p[0], p[1]];
}

function valueInfo(name: string, shape: readonly number[]) {
  return {
    name,
    type: { tensor_type: { elem_type: FLOAT, shape: { dim: [{ dim_param: 'batch' }, ...shape.map((d) => ({ dim_value: d }))] } } },
  };
}

/**
 * The model as ONNX bytes (works in browsers). Run it with onnxruntime: input `input` of shape
 * `[batch, ...model.inputShape]`, output `output` of shape `[batch, ...model.outputShape]`.
 * @example const bytes = toOnnx(model); // or toOnnx(model, { opset: 13 })
 */
export function toOnnx(model: Sequential, options: OnnxOptions = {}): Uint8Array {
  const call = 'toOnnx';
  const o = checkOptions(call, options, ['opset', 'inputName', 'outputName', 'docString']) as OnnxOptions;
  if (!model || !Array.isArray(model.layers) || !Array.isArray(model.shapes)) throw optionError(call, 'model', 'a Sequential', model);
  const opset = checkInt(call, 'opset', o.opset ?? 17, 13, 21);
  const inputName = o.inputName ?? 'input', outputName = o.outputName ?? 'output';
  for (const [arg, v] of [['inputName', inputName], ['outputName', outputName]] as const) {
    if (typeof v !== 'string' || v.length === 0) throw optionError(call, arg, 'a non-empty string', v);
  }
  if (inputName === outputName) throw optionError(call, 'outputName', `a name other than inputName '${inputName}'`, outputName);
  const g = new GraphBuilder(opset);
  let x = inputName;
  model.layers.forEach((layer, i) => (x = exportLayer(g, layer, i, x, model.shapes[i], model.shapes[i + 1])));
  // The last node writes the graph output directly (an Identity when the model ends in a pass-through).
  if (x === inputName || !g.nodes.length || g.nodes[g.nodes.length - 1].output[0] !== x) g.node('Identity', [x], 'output', {}, outputName);
  else g.nodes[g.nodes.length - 1].output[0] = outputName;
  const root = schema();
  const Model = root.lookupType('onnx.ModelProto');
  const message = Model.fromObject({
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'descent-nn',
    producer_version: '0.1.0',
    doc_string: o.docString ?? '',
    graph: {
      name: 'descent',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(inputName, model.inputShape)],
      output: [valueInfo(outputName, model.outputShape)],
    },
  });
  return Model.encode(message).finish();
}

/**
 * Writes the ONNX model atomically. Node only.
 * @example saveOnnx(model, 'model.onnx');
 */
export function saveOnnx(model: Sequential, file: string, options: OnnxOptions = {}): void {
  if (typeof file !== 'string' || file.length === 0) throw optionError('saveOnnx', 'path', 'a file path', file);
  writeFileAtomic(file, toOnnx(model, options));
}
