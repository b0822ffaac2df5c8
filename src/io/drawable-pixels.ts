// The RGBA pixels of what a browser can draw: an <img>, a <canvas> or OffscreenCanvas, an
// ImageBitmap or a <video> frame, read through a 2D canvas. Nothing here runs outside a browser
// (or a worker with OffscreenCanvas); elsewhere such objects do not exist.
import { argumentError } from '../check.ts';
import type { ImageDataLike } from './image-input.ts';

/** Anything a canvas can draw, as far as this module needs to know it. */
export interface DrawableLike {
  width: number;
  height: number;
}

type Context2d = { getImageData(x: number, y: number, w: number, h: number): ImageDataLike; drawImage(image: unknown, x: number, y: number): void };
type Canvasy = DrawableLike & { getContext(kind: '2d', options?: object): Context2d | null };

const DRAWABLE_CLASSES = ['HTMLImageElement', 'HTMLCanvasElement', 'OffscreenCanvas', 'ImageBitmap', 'HTMLVideoElement', 'SVGImageElement', 'VideoFrame'];

/** Whether a value is one of the browser's drawable classes. */
export function isDrawable(source: unknown): source is DrawableLike {
  if (typeof source !== 'object' || source === null) return false;
  return DRAWABLE_CLASSES.some((name) => {
    const cls = (globalThis as Record<string, unknown>)[name];
    return typeof cls === 'function' && source instanceof (cls as new () => unknown);
  });
}

/** The size to read a drawable at: an image's natural size, a video's frame size. */
function sizeOf(source: DrawableLike): { width: number; height: number } {
  const s = source as DrawableLike & { naturalWidth?: number; naturalHeight?: number; videoWidth?: number; videoHeight?: number; displayWidth?: number; displayHeight?: number };
  return {
    width: s.naturalWidth ?? s.videoWidth ?? s.displayWidth ?? s.width,
    height: s.naturalHeight ?? s.videoHeight ?? s.displayHeight ?? s.height,
  };
}

function scratchCanvas(width: number, height: number): Canvasy {
  const g = globalThis as { OffscreenCanvas?: new (w: number, h: number) => Canvasy; document?: { createElement(tag: 'canvas'): Canvasy } };
  if (g.OffscreenCanvas) return new g.OffscreenCanvas(width, height);
  if (g.document) {
    const canvas = g.document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    return canvas;
  }
  throw argumentError('reading pixels from an image element needs a canvas (OffscreenCanvas or a document)');
}

/** The drawable's pixels, at its own size. */
export function drawablePixels(source: DrawableLike, name: string): ImageDataLike {
  const { width, height } = sizeOf(source);
  if (!(width > 0 && height > 0)) throw argumentError(`${name}: the image has no pixels yet (0x0): wait for it to load (await image.decode()) before reading it`);
  const own = typeof (source as Partial<Canvasy>).getContext === 'function' ? (source as Canvasy).getContext('2d', { willReadFrequently: true }) : null;
  if (own) return own.getImageData(0, 0, width, height);
  const canvas = scratchCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw argumentError(`${name}: cannot read its pixels (no 2D canvas context here)`);
  context.drawImage(source, 0, 0);
  try {
    return context.getImageData(0, 0, width, height);
  } catch {
    throw argumentError(`${name}: the browser will not let its pixels be read (an image from another origin without CORS); serve it from the page's origin or with Access-Control-Allow-Origin`);
  }
}
