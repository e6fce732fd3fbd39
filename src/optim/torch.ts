/**
 * torch.optim's state-dict form, both ways. PyTorch writes `{ state: {0: {step, exp_avg, …}}, param_groups: [{lr,
 * betas, weight_decay, …, foreach, maximize, …, params}] }`: snake_case hyperparameters, flags that select an
 * implementation (foreach, capturable, differentiable, fused) and do not change the maths, `step` as a float32
 * scalar tensor (Adam, AdamW, Adagrad), a plain int (RMSprop) or absent (SGD). Reading accepts that form as it comes
 * back from JSON or safetensors (integer or string state keys, tensors as `{shape, data}`, flat or nested number
 * arrays, `step` as a number or one-element tensor); writing gives what torch 1.13's `state_dict()` holds.
 */
import { optionError, stateError } from '../errors.js';
import { tensorData, tensorEntry, type TensorEntry } from '../nn/sequential.js';
import type { Parameter } from '../nn/parameter.js';
import type { OptimizerState, OptimizerStateDict } from './optimizer.js';

/** A torch.optim state dict; tensors are state-dict entries (JSON-safe). */
export interface TorchOptimizerStateDict {
  state: Record<number | string, Record<string, TensorEntry | number | null>>;
  param_groups: (Record<string, unknown> & { params: number[] })[];
}

/** Flags torch adds that leave the update unchanged (implementation choices); `maximize` is checked separately. */
const NO_OP_FLAGS = ['foreach', 'capturable', 'differentiable', 'fused'];
/** Bookkeeping a torch scheduler adds to the group. */
const IGNORED = ['initial_lr'];

interface TorchForm {
  /** The torch.optim class. */
  name: string;
  /** How torch 1.13 stores `step`. */
  step: 'tensor' | 'int' | 'none';
  /** The flags torch 1.13 writes for this class, with their defaults. */
  flags: Record<string, boolean | null>;
}

const FORMS: Record<string, TorchForm> = {
  SGD: { name: 'SGD', step: 'none', flags: { maximize: false, foreach: null, differentiable: false } },
  Adagrad: { name: 'Adagrad', step: 'tensor', flags: { foreach: null, maximize: false } },
  RMSprop: { name: 'RMSprop', step: 'int', flags: { foreach: null, maximize: false, differentiable: false } },
  Adam: { name: 'Adam', step: 'tensor', flags: { maximize: false, foreach: null, capturable: false, differentiable: false, fused: false } },
  AdamW: { name: 'AdamW', step: 'tensor', flags: { foreach: null, maximize: false, capturable: false } },
};
FORMS.Momentum = FORMS.SGD;
FORMS.Nesterov = FORMS.SGD;

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The torch.optim class a descent optimizer type corresponds to (`Momentum` and `Nesterov` are SGD settings). */
export function torchClassOf(type: string): string {
  return (FORMS[type] ?? { name: type }).name;
}

/** True when `sd` is in torch's form (`param_groups`) rather than descent's (`paramGroups`). */
export function isTorchStateDict(sd: unknown): sd is TorchOptimizerStateDict {
  return !!sd && typeof sd === 'object' && 'param_groups' in sd && !('paramGroups' in sd);
}

/** descent's state dict → torch's, for an optimizer of `type` over `params`. */
export function toTorchStateDict(sd: OptimizerStateDict, type: string, params: readonly Parameter[]): TorchOptimizerStateDict {
  const form = FORMS[type];
  if (!form) throw stateError(`${type}.stateDict`, `no torch.optim form is known for ${type}`);
  const state: TorchOptimizerStateDict['state'] = {};
  for (const [index, s] of Object.entries(sd.state)) {
    const out: Record<string, TensorEntry | number | null> = {};
    const i = Number(index);
    for (const [key, value] of Object.entries(s)) {
      if (key === 'step') {
        if (form.step === 'int') out.step = value as number;
        else if (form.step === 'tensor') out.step = tensorEntry([], new Float32Array([value as number]));
        continue;
      }
      out[key] = tensorEntry([...params[i].shape], (value as Float32Array).slice());
    }
    // torch keeps a None momentum buffer per parameter for plain SGD.
    if (form.name === 'SGD' && !('momentum_buffer' in out)) out.momentum_buffer = null;
    state[i] = out;
  }
  const { params: indices, ...hyper } = sd.paramGroups[0];
  const group: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(hyper)) group[snake(key)] = Array.isArray(value) ? [...value] : value;
  return { state, param_groups: [{ ...group, ...form.flags, params: [...indices] }] };
}

/**
 * torch's state dict → descent's, checked: one parameter group, hyperparameters this optimizer has, no-op flags
 * false or null, `maximize` false, one step count shared by every parameter, tensors of the parameters' sizes.
 */
export function fromTorchStateDict(sd: TorchOptimizerStateDict, type: string, known: readonly string[], params: readonly Parameter[]): OptimizerStateDict {
  const call = `${type}.loadStateDict`;
  if (!Array.isArray(sd.param_groups) || sd.param_groups.length !== 1 || !sd.param_groups[0] || typeof sd.param_groups[0] !== 'object') {
    throw stateError(call, `expected torch's { state, param_groups: [one group] }, received ${Array.isArray(sd.param_groups) ? `${sd.param_groups.length} groups` : 'no param_groups list'}`);
  }
  if (!sd.state || typeof sd.state !== 'object') throw stateError(call, "expected torch's { state, param_groups }: state is missing");
  const group: Record<string, unknown> & { params: number[] } = { params: sd.param_groups[0].params };
  for (const [key, value] of Object.entries(sd.param_groups[0])) {
    if (key === 'params' || IGNORED.includes(key)) continue;
    if (key === 'maximize') {
      if (value === true) throw optionError(call, 'maximize', 'false (descent minimises; maximize: true would ascend the gradient)', value);
      if (value !== false && value !== null) throw optionError(call, 'maximize', 'false or null', value);
      continue;
    }
    if (NO_OP_FLAGS.includes(key)) {
      if (value !== null && typeof value !== 'boolean') throw optionError(call, key, 'a boolean or null', value);
      continue;
    }
    const name = camel(key);
    if (!known.includes(name)) {
      throw stateError(call, `unknown hyperparameter '${key}' for ${type} (torch.optim.${torchClassOf(type)} hyperparameters here: ${known.map(snake).join(', ')}); is the state dict from another optimizer?`);
    }
    group[name] = name === 'betas' && Array.isArray(value) ? [...value] : value;
  }
  const state: Record<number, OptimizerState> = {};
  let step: number | null = null;
  for (const [index, s] of Object.entries(sd.state)) {
    const i = Number(index), p = params[i];
    if (!Number.isInteger(i) || !p) throw stateError(call, `state for parameter ${index}, which does not exist (${params.length} parameters)`);
    if (!s || typeof s !== 'object') throw stateError(call, `state of parameter ${index} must be an object`);
    const out: OptimizerState = {};
    for (const [key, value] of Object.entries(s)) {
      if (value === null || value === undefined) continue; // SGD's None momentum buffer
      if (key === 'step') {
        const t = stepValue(call, i, value);
        if (step !== null && t !== step) throw stateError(call, `parameters have different step counts (${step} and ${t}); descent steps every parameter together`);
        step = t;
        out.step = t;
        continue;
      }
      out[key] = tensorValue(call, `state[${i}].${key}`, value, p);
    }
    state[i] = out;
  }
  return { state, paramGroups: [group] };
}

function stepValue(call: string, i: number, value: unknown): number {
  let v: unknown = value;
  if (value && typeof value === 'object') {
    const data = 'data' in value ? (value as { data: unknown }).data : value;
    const flat = tensorData(call, `state[${i}].step`, ArrayBuffer.isView(data) ? data : Array.isArray(data) ? data : [data]);
    if (flat.length !== 1) throw stateError(call, `step of parameter ${i} must be a number or a one-element tensor, received ${flat.length} values`);
    v = flat[0];
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw stateError(call, `step of parameter ${i} must be a non-negative integer, received ${String(v)}`);
  return v;
}

function tensorValue(call: string, arg: string, value: unknown, p: Parameter): Float32Array {
  let data: unknown = value, shape: unknown = null;
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !Array.isArray(value)) {
    ({ data, shape } = value as { data: unknown; shape: unknown });
    if (!Array.isArray(shape) || shape.length !== p.shape.length || shape.some((d, k) => d !== p.shape[k])) {
      throw stateError(call, `${arg} has shape ${JSON.stringify(shape)}, the parameter [${p.shape.join(', ')}]`);
    }
  }
  // Nested lists (a tensor's .tolist()) flatten row-major.
  if (Array.isArray(data)) data = (data as unknown[]).flat(Infinity);
  const out = tensorData(call, arg, data);
  if (out.length !== p.size) throw stateError(call, `${arg} has ${out.length} values, the parameter ${p.size}`);
  return out;
}
