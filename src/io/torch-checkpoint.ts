/**
 * A one-file training checkpoint PyTorch can read: a safetensors file whose tensors are the model's state dict
 * (`model.<name>`) and the optimizer's state in torch.optim's form (`optimizer.state.<index>.<key>`, `step` as a
 * float32 scalar), with the optimizer's class and `param_groups` as JSON in the metadata (`optimizer`). PyTorch
 * continues the run with a few lines (README: "Moving models between descent and PyTorch / ONNX"); descent reads the
 * same file back, and reads files PyTorch writes in this layout.
 */
import { stateError } from '../errors.js';
import type { Sequential, StateDict } from '../nn/sequential.js';
import type { Optimizer } from '../optim/optimizer.js';
import { torchClassOf, type TorchOptimizerStateDict } from '../optim/torch.js';
import { checkOptions } from '../check.js';
import { writeFileAtomic } from '../node.js';
import { readSafetensors, toSafetensors } from './safetensors.js';

/** What goes into the file; `metadata` adds string pairs of your own (epoch, data set, …). */
export interface TorchCheckpointParts {
  model: Sequential;
  optimizer?: Optimizer;
  metadata?: Record<string, string>;
}

const MARK = 'descent-torch-checkpoint/1';
const RESERVED = ['format', 'checkpoint', 'optimizer'];

/**
 * The checkpoint as bytes (browsers too).
 * @example const bytes = toTorchCheckpoint({ model, optimizer, metadata: { epoch: '5' } });
 */
export function toTorchCheckpoint(parts: TorchCheckpointParts): Uint8Array {
  const call = 'toTorchCheckpoint';
  const { model, optimizer, metadata = {} } = checkOptions(call, parts, ['model', 'optimizer', 'metadata']) as unknown as TorchCheckpointParts;
  if (!model || typeof model.stateDict !== 'function') throw stateError(call, 'parts.model must be a Sequential');
  for (const key of Object.keys(metadata ?? {})) if (RESERVED.includes(key)) throw stateError(call, `metadata key '${key}' is reserved by the checkpoint layout`);
  const tensors: StateDict = {};
  for (const [name, e] of Object.entries(model.stateDict())) tensors[`model.${name}`] = e;
  const meta: Record<string, string> = { format: 'pt', checkpoint: MARK, ...metadata };
  if (optimizer) {
    const sd = optimizer.stateDict({ format: 'torch' });
    for (const [index, s] of Object.entries(sd.state)) {
      for (const [key, value] of Object.entries(s)) {
        if (value === null) continue;
        tensors[`optimizer.state.${index}.${key}`] = typeof value === 'number' ? { shape: [], data: new Float32Array([value]) } : value;
      }
    }
    meta.optimizer = JSON.stringify({ class: torchClassOf(optimizer.type), param_groups: sd.param_groups });
  }
  return toSafetensors(tensors, { metadata: meta });
}

/**
 * Writes the checkpoint atomically. Node only.
 * @example saveTorchCheckpoint('run.safetensors', { model, optimizer });
 */
export function saveTorchCheckpoint(file: string, parts: TorchCheckpointParts): void {
  writeFileAtomic(file, toTorchCheckpoint(parts));
}

/**
 * Loads a checkpoint (a path in Node, or bytes) into a model and, when given, an optimizer of the same
 * torch.optim class; returns the file's metadata. Everything is checked first; if the optimizer part is
 * rejected, the model is restored, so nothing is left half-loaded.
 * @example const meta = loadTorchCheckpoint('run.safetensors', { model, optimizer });
 */
export function loadTorchCheckpoint(source: string | Uint8Array, parts: { model: Sequential; optimizer?: Optimizer }): Record<string, string> {
  const call = 'loadTorchCheckpoint';
  const { model, optimizer } = checkOptions(call, parts, ['model', 'optimizer']) as { model: Sequential; optimizer?: Optimizer };
  const { tensors, metadata } = readSafetensors(source, call);
  const weights: StateDict = {};
  const state: TorchOptimizerStateDict['state'] = {};
  for (const [name, e] of Object.entries(tensors)) {
    if (name.startsWith('model.')) weights[name.slice(6)] = e;
    else if (name.startsWith('optimizer.state.')) {
      const rest = name.slice(16), dot = rest.indexOf('.');
      if (dot <= 0) throw stateError(call, `tensor '${name}' is not optimizer.state.<index>.<key>`);
      (state[rest.slice(0, dot)] ??= {})[rest.slice(dot + 1)] = e;
    } else throw stateError(call, `tensor '${name}' is neither model.* nor optimizer.state.*`);
  }
  type Saved = { class?: string; param_groups?: TorchOptimizerStateDict['param_groups'] };
  let group: Saved | null = null;
  if (optimizer) {
    if (typeof metadata.optimizer !== 'string') throw stateError(call, 'the file holds no optimizer state (no "optimizer" metadata)');
    try {
      group = JSON.parse(metadata.optimizer) as Saved;
    } catch {
      throw stateError(call, 'the "optimizer" metadata is not JSON');
    }
    const saved = (group as Saved | null)?.class;
    if (saved !== torchClassOf(optimizer.type)) throw stateError(call, `the file holds torch.optim.${saved} state, the optimizer is ${optimizer.type}`);
  }
  const before = model.stateDict();
  model.loadStateDict(weights);
  if (optimizer) {
    try {
      optimizer.loadStateDict({ state, param_groups: group!.param_groups! });
    } catch (error) {
      model.loadStateDict(before);
      throw error;
    }
  }
  return metadata;
}
