/**
 * The messages between the lab page and its worker. The page asks (`Request`, with an id) and the worker answers
 * (`Reply` with the same id); a running training posts `TrainProgress` on its own until paused or reconfigured.
 */
import type { ActivationParams } from '../../nn/activation-table.js';
import type { Trajectory } from '../landscapes.js';
import type { CurveData, InitOptions, InitResult, RaceOptions, TrainConfig, TrainSnapshot } from './experiments.js';

export type Request =
  | { id: number; kind: 'hello' }
  | { id: number; kind: 'activations'; params: ActivationParams }
  | { id: number; kind: 'init'; options: InitOptions }
  | { id: number; kind: 'race'; options: RaceOptions }
  /** Builds a fresh session (data, network, optimizer) and reports step 0; `until` stops a run at that step (0: never). */
  | { id: number; kind: 'train-setup'; config: TrainConfig; until: number }
  /** Starts (or changes the speed of) the run: `speed` steps about 60 times a second, 0 for as fast as possible. */
  | { id: number; kind: 'train-play'; speed: number }
  | { id: number; kind: 'train-pause' }
  | { id: number; kind: 'train-step' };

/** The answer for each request kind. */
export interface Results {
  hello: { backend: string; detail: string };
  activations: CurveData[];
  init: InitResult;
  race: Trajectory[];
  'train-setup': TrainPoints & { snapshot: TrainSnapshot };
  /** Whether it started (not when the run already reached its stop step). */
  'train-play': boolean;
  'train-pause': null;
  'train-step': null;
}

export interface TrainPoints {
  trainX: Float32Array;
  trainY: Int32Array;
  testX: Float32Array;
  testY: Int32Array;
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** Posted while training: the latest snapshot, and whether the run continues. */
export interface TrainProgress {
  kind: 'train-progress';
  /** The session the snapshot belongs to (a reconfigured session's late snapshots are dropped). */
  session: number;
  snapshot: TrainSnapshot;
  running: boolean;
}
