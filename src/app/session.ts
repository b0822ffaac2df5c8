// What the app's worker holds and computes: one model, one input and its forward pass, and every
// method the page asks for, as numbers and as pictures rendered by the same code as the CLI's
// (so a picture in the page is the picture the CLI writes). Platform-neutral: the Node tests run
// it directly.
import { Model } from '../model/model.ts';
import { loadModel, type ModelSource } from '../model/load.ts';
import type { ForwardResult } from '../model/model.ts';
import { Tensor } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { backwardNetFrom, type BackwardMethod } from '../methods/backward-net.ts';
import { defaultOcclusionSize, occlusion } from '../methods/occlusion.ts';
import { defaultGradCamLayer, gradCam } from '../methods/grad-cam.ts';
import { maximize } from '../methods/maximize.ts';
import { regularizeHeatmap, upsample } from '../methods/heatmap.ts';
import { inputCanvas, overlayCanvas, signedCanvas } from '../methods/render.ts';
import { Canvas } from '../io/png-output.ts';
import { normalizeMinMax } from '../io/colormap.ts';

/** An RGBA picture, as ImageData holds one. */
export interface Picture {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Numbers with their shape (channels-first, one sample). */
export interface Numbers {
  shape: number[];
  data: Float32Array;
}

export interface NodeInfo {
  name: string;
  type: string;
  /** Output shape of one sample. */
  shape: number[];
  /** Indices of the nodes it reads (empty for the input's readers). */
  inputs: number[];
  /** Whether its output is a stack of maps (C, H, W). */
  maps: boolean;
}

export interface ModelInfo {
  name: string;
  inputShape: number[];
  /** Output size when the output is a vector (classes), else 0. */
  classes: number;
  paramCount: number;
  nodes: NodeInfo[];
  gradCamLayer: string | null;
  occlusionSize: number;
}

export interface Prediction {
  probabilities: number[];
  /** The forward pass, milliseconds. */
  ms: number;
  input: Picture;
}

export interface LayerMaps extends Numbers {
  layer: string;
  /** One picture per channel, each min-max normalised on its own (viridis), as `activations` writes them. */
  tiles: Picture[];
  /** Per channel: its smallest and largest value. */
  ranges: [number, number][];
  /** Channels by their largest activation, strongest first. */
  strongest: number[];
}

export interface Reconstruction extends Numbers {
  method: BackwardMethod;
  picture: Picture;
}

export interface OcclusionView {
  grid: Numbers;
  target: number | null;
  baseline: number;
  heatmap: Picture;
  overlay: Picture;
}

export interface GradCamView {
  layer: string;
  cam: Numbers;
  target: number;
  heatmap: Picture;
  overlay: Picture;
}

export function picture(canvas: Canvas): Picture {
  return { width: canvas.width, height: canvas.height, pixels: canvas.pixels };
}

function numbers(t: Tensor, shape: readonly number[] = t.shape): Numbers {
  return { shape: [...shape], data: t.data.slice(0, shape.reduce((a, b) => a * b, 1)) };
}

/** The three backward nets side by side ('guided' is DeSaliNet's other name). */
export const SHOWN_BACKWARD_METHODS: readonly BackwardMethod[] = ['deconvnet', 'salinet', 'desalinet'];

export class Session {
  private input: Tensor | null = null;
  private forward: ForwardResult | null = null;

  constructor(readonly model: Model) {}

  static async open(source: ModelSource, name?: string): Promise<Session> {
    return new Session(await loadModel(source, name === undefined ? {} : { name }));
  }

  info(): ModelInfo {
    const { model } = this;
    const out = model.outputShape;
    let gradCamLayer: string | null = null;
    try {
      gradCamLayer = defaultGradCamLayer(model);
    } catch {
      gradCamLayer = null;
    }
    return {
      name: model.name,
      inputShape: [...model.inputShape],
      classes: out.length === 1 ? out[0] : 0,
      paramCount: model.paramCount,
      nodes: model.layers.map((layer, i) => ({
        name: layer.name,
        type: layer.type,
        shape: [...layer.outputShape],
        inputs: model.sources[i].filter((s) => s >= 0),
        maps: layer.outputShape.length === 3,
      })),
      gradCamLayer,
      occlusionSize: defaultOcclusionSize(model.inputShape),
    };
  }

  /** Sets the input (C, H, W) and runs the forward pass every view reads. */
  setInput(x: Tensor): Prediction {
    const started = performance.now();
    const forward = this.model.forward(x);
    const ms = performance.now() - started;
    this.input = x;
    this.forward = forward;
    const out = forward.output.data;
    return { probabilities: Array.from(out.subarray(0, out.length)), ms, input: picture(inputCanvas(x, 1)) };
  }

  private current(): { x: Tensor; forward: ForwardResult } {
    if (this.input === null || this.forward === null) throw new ConvscopeError('E_ARGUMENT', 'no input yet: draw a digit or open an image');
    return { x: this.input, forward: this.forward };
  }

  private output(layer: string): Tensor {
    const { forward } = this.current();
    const record = forward.records.get(this.model.layer(layer).name);
    if (!record) throw new ConvscopeError('E_ARGUMENT', `layer '${layer}' is not on the way to the output`);
    return record.output;
  }

  maps(layer: string): LayerMaps {
    const a = this.output(layer);
    const shape = a.shape.slice(1);
    const tiles: Picture[] = [];
    const ranges: [number, number][] = [];
    const peaks: number[] = [];
    const [c, h, w] = shape.length === 3 ? shape : [1, 1, a.size];
    for (let ch = 0; ch < c; ch++) {
      const plane = a.data.subarray(ch * h * w, (ch + 1) * h * w);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of plane) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      ranges.push([lo, hi]);
      peaks.push(hi);
      const canvas = new Canvas(w, h);
      canvas.drawMap(normalizeMinMax(plane), h, w, 0, 0, 'viridis', 1);
      tiles.push(picture(canvas));
    }
    const strongest = peaks.map((_, i) => i).sort((i, j) => peaks[j] - peaks[i] || i - j);
    return { layer, ...numbers(a, shape), tiles, ranges, strongest };
  }

  backward(layer: string, channel: number, unit: 'all' | 'max'): Reconstruction[] {
    const { forward } = this.current();
    return SHOWN_BACKWARD_METHODS.map((method) => {
      const r = backwardNetFrom(this.model, forward, { layer, channel, unit, method });
      const one = r.shape.length === 4 ? r.reshape(r.shape.slice(1)) : r;
      return { method, ...numbers(one), picture: picture(signedCanvas(one, false, 1)) };
    });
  }

  occlusion(options: { size: number; stride: number; fill: number; target?: number }, onProgress: (done: number, total: number) => void): OcclusionView {
    const { x } = this.current();
    const result = occlusion(this.model, x, { ...options, onProgress });
    const [ny, nx] = result.grid.shape;
    const [, h, w] = this.model.inputShape;
    const heat = new Canvas(nx, ny);
    heat.drawMap(regularizeHeatmap(result.grid.data, ny, nx), ny, nx, 0, 0, 'viridis', 1);
    return {
      grid: numbers(result.grid),
      target: result.targetClass,
      baseline: result.baseline,
      heatmap: picture(heat),
      overlay: picture(overlayCanvas(x, regularizeHeatmap(result.attribution.data, h, w), 0.5, 'viridis', 1)),
    };
  }

  gradCam(layer: string | undefined, target: number | undefined): GradCamView {
    const { x } = this.current();
    const result = gradCam(this.model, x, { layer, target });
    const [ch, cw] = result.cam.shape;
    const [, h, w] = this.model.inputShape;
    const heat = new Canvas(cw, ch);
    heat.drawMap(regularizeHeatmap(result.cam.data, ch, cw), ch, cw, 0, 0, 'viridis', 1);
    return {
      layer: layer ?? defaultGradCamLayer(this.model),
      cam: numbers(result.cam),
      target: result.targetClass,
      heatmap: picture(heat),
      overlay: picture(overlayCanvas(x, regularizeHeatmap(upsample(result.cam.data, ch, cw, h, w), h, w), 0.5, 'viridis', 1)),
    };
  }

  /** Activation maximisation; onStep sees the image as it forms, every `every` steps. */
  maximize(layer: string, channel: number, iterations: number, range: [number, number], every: number, onStep: (done: number, total: number, image: Picture) => void): { image: Picture; objective: number; history: number[] } {
    const result = maximize(this.model, {
      layer, channel, iterations, range, seed: 1,
      onProgress: (done, total, image) => {
        if (done % every === 0 || done === total) onStep(done, total, picture(inputCanvas(image, 1)));
      },
    });
    return { image: picture(inputCanvas(result.image, 1)), objective: result.objective, history: result.history };
  }
}
