// The messages between the page and its worker. Every request carries an id; the worker answers
// each with one reply, and long requests (occlusion, maximisation) with progress before it.
import type { ImageDataLike } from '../io/image-input.ts';
import type { GradCamView, LayerMaps, ModelInfo, OcclusionView, Picture, Prediction, Reconstruction } from './session.ts';

export interface Preprocessing {
  scale: number;
  mean?: number[];
  std?: number[];
}

export type ModelRequest = { kind: 'url'; url: string } | { kind: 'files'; files: Record<string, ArrayBuffer>; name: string };
export type InputRequest =
  | { kind: 'drawing'; image: ImageDataLike }
  | { kind: 'bytes'; bytes: ArrayBuffer; name: string }
  | { kind: 'url'; url: string };

export interface Requests {
  open: { request: { model: ModelRequest }; reply: ModelInfo & { kernels: string; threads: boolean } };
  input: { request: { input: InputRequest; preprocessing: Preprocessing }; reply: Prediction };
  maps: { request: { layer: string }; reply: LayerMaps };
  backward: { request: { layer: string; channel: number; unit: 'all' | 'max' }; reply: Reconstruction[] };
  occlusion: { request: { size: number; stride: number; fill: number; target?: number }; reply: OcclusionView };
  gradcam: { request: { layer?: string; target?: number }; reply: GradCamView };
  maximize: { request: { layer: string; channel: number; iterations: number }; reply: { image: Picture; objective: number; history: number[] } };
  threads: { request: { count: 1 | 2 }; reply: { kernels: string; threads: boolean } };
}

export type RequestType = keyof Requests;

export type RequestMessage = { [K in RequestType]: { id: number; type: K } & Requests[K]['request'] }[RequestType];

export interface Progress {
  done: number;
  total: number;
  image?: Picture;
}

export type ReplyMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string; cancelled?: boolean }
  | { id: number; progress: Progress };

/** The first message to a worker: a shared cell the page writes a request's id into to cancel it (cross-origin isolated pages only). */
export interface Hello {
  type: 'hello';
  cancel: SharedArrayBuffer | null;
}
