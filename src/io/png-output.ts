import { encode as encodePngPixels } from 'fast-png';
import jpeg from 'jpeg-js';
import { ConvscopeError } from '../errors.ts';
import { checkMemory } from '../limits.ts';
import { argumentError, checkChoice, checkInteger, checkOptions, describe, describeEntry } from '../check.ts';
import { colormap, COLORMAP_NAMES, checkRgb, normalizeAbs, normalizeMinMax, normalizeSymmetric, type Colormap, type ColormapName, type RGB } from './colormap.ts';

// A 5x8 bitmap font: 7 rows above the baseline and one for descenders. Each glyph is eight
// base-32 digits, one per row from the top; a digit's five bits are the row's pixels, the
// high bit leftmost ('e' = 01110). Characters it lacks are drawn as '?'.
const GLYPHS: Record<string, string> = {
  '0': 'ehjlphe0', '1': '4c4444e0', '2': 'eh1248v0', '3': 'v2421he0', '4': '26aiv220', '5': 'vgu11he0', '6': '68guhhe0', '7': 'v1248880',
  '8': 'ehhehhe0', '9': 'ehhf12c0', 'A': 'ehhvhhh0', 'B': 'uhhuhhu0', 'C': 'ehggghe0', 'D': 'sihhhis0', 'E': 'vgguggv0', 'F': 'vgguggg0',
  'G': 'ehgnhhf0', 'H': 'hhhvhhh0', 'I': 'e44444e0', 'J': '72222ic0', 'K': 'hikokih0', 'L': 'ggggggv0', 'M': 'hrllhhh0', 'N': 'hhpljhh0',
  'O': 'ehhhhhe0', 'P': 'uhhuggg0', 'Q': 'ehhhlid0', 'R': 'uhhukih0', 'S': 'fgge11u0', 'T': 'v4444440', 'U': 'hhhhhhe0', 'V': 'hhhhha40',
  'W': 'hhhllla0', 'X': 'hha4ahh0', 'Y': 'hhha4440', 'Z': 'v1248gv0', 'a': '00e1fhf0', 'b': 'ggmphhu0', 'c': '00egghe0', 'd': '11djhhf0',
  'e': '00ehvge0', 'f': '698s8880', 'g': '00fhhf1e', 'h': 'ggmphhh0', 'i': '40c444e0', 'j': '206222ic', 'k': 'ggikoki0', 'l': 'c44444e0',
  'm': '00qllhh0', 'n': '00mphhh0', 'o': '00ehhhe0', 'p': '00uhhugg', 'q': '00fhhf11', 'r': '00mpggg0', 's': '00ege1u0', 't': '88s88960',
  'u': '00hhhjd0', 'v': '00hhha40', 'w': '00hhlla0', 'x': '00ha4ah0', 'y': '00hhhf1e', 'z': '00v248v0', ' ': '00000000', '-': '000e0000',
  '.': '00000cc0', ':': '0cc0cc00', '_': '0000000v', '(': '24888420', ')': '84222480', '/': '01248g00', ',': '00000c48', '+': '044v4400',
  '=': '00v0v000', '[': 'e88888e0', ']': 'e22222e0', '%': 'op248j30', '?': 'eh124040',
};
const GLYPH_WIDTH = 5;
const GLYPH_HEIGHT = 8;
const ADVANCE = GLYPH_WIDTH + 1;

/** Width in pixels of `text` drawn at `scale`, without trailing spacing. */
export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * ADVANCE - 1) * scale;
}

/** An RGB image in memory; `pixels` is RGBA, row-major, always opaque. */
export class Canvas {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;

  constructor(width: number, height: number, background: RGB = [0, 0, 0]) {
    if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
      throw argumentError(`Canvas: size must be positive integers, got ${describeEntry(width)}x${describeEntry(height)}`);
    }
    checkMemory(width * height * 4, `a ${width}x${height} canvas`);
    checkRgb(background, 'Canvas: the background');
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 4);
    this.fill(background);
  }

  fill(rgb: RGB): void {
    this.fillRect(0, 0, this.width, this.height, rgb);
  }

  /** Fills the rectangle clipped to the canvas. */
  fillRect(x: number, y: number, w: number, h: number, rgb: RGB): void {
    const x0 = Math.max(0, x);
    const x1 = Math.min(this.width, x + w);
    for (let yy = Math.max(0, y); yy < Math.min(this.height, y + h); yy++) {
      for (let xx = x0; xx < x1; xx++) this.put(xx, yy, rgb);
    }
  }

  /** Sets one pixel; positions outside the canvas are ignored. */
  setPixel(x: number, y: number, rgb: RGB): void {
    if (x >= 0 && y >= 0 && x < this.width && y < this.height) this.put(x, y, rgb);
  }

  getPixel(x: number, y: number): RGB {
    const i = (y * this.width + x) * 4;
    return [this.pixels[i], this.pixels[i + 1], this.pixels[i + 2]];
  }

  /**
   * Draws an (h, w) map of values already in 0..1 with its top-left corner at (x, y), each value
   * a block of upscale x upscale pixels (nearest neighbour).
   */
  drawMap(values: ArrayLike<number>, h: number, w: number, x: number, y: number, cmap: ColormapName | Colormap, upscale = 1): void {
    if (values?.length !== h * w) throw new ConvscopeError('E_SHAPE', `drawMap: a ${h}x${w} map needs ${h * w} values but got ${describeEntry(values?.length)}`);
    const map = typeof cmap === 'string' ? colormap(cmap) : cmap;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) this.fillRect(x + j * upscale, y + i * upscale, upscale, upscale, map(values[i * w + j]));
    }
  }

  /** Draws text with its top-left corner at (x, y); a glyph is 5x8 pixels times `scale`, advancing 6. */
  drawText(text: string, x: number, y: number, rgb: RGB, scale = 1): void {
    for (let k = 0; k < text.length; k++) {
      const glyph = GLYPHS[text[k]] ?? GLYPHS['?'];
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        const bits = parseInt(glyph[row], 32);
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (bits & (1 << (GLYPH_WIDTH - 1 - col))) {
            this.fillRect(x + (k * ADVANCE + col) * scale, y + row * scale, scale, scale, rgb);
          }
        }
      }
    }
  }

  private put(x: number, y: number, [r, g, b]: RGB): void {
    const i = (y * this.width + x) * 4;
    this.pixels[i] = r;
    this.pixels[i + 1] = g;
    this.pixels[i + 2] = b;
    this.pixels[i + 3] = 255;
  }
}

/** The canvas as an 8-bit RGB PNG. */
export function encodePng(canvas: Canvas): Uint8Array {
  checkCanvas(canvas);
  const { width, height, pixels } = canvas;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = pixels[j];
    rgb[i + 1] = pixels[j + 1];
    rgb[i + 2] = pixels[j + 2];
  }
  return encodePngPixels({ width, height, data: rgb, channels: 3, depth: 8 });
}

function checkCanvas(canvas: unknown): void {
  if (!(canvas instanceof Canvas)) throw argumentError(`the picture must be a Canvas (what renderGrid returns), not ${describe(canvas)}`);
}

/** The canvas as a baseline JPEG; quality: 1..100, jpeg-js's scale. */
export function encodeJpeg(canvas: Canvas, quality = 90): Uint8Array {
  checkCanvas(canvas);
  checkInteger(quality, 'the JPEG quality', 1, 100);
  return new Uint8Array(jpeg.encode({ width: canvas.width, height: canvas.height, data: canvas.pixels }, quality).data);
}

export interface GridOptions {
  /** Default 'viridis'. */
  cmap?: ColormapName;
  /** How each map is brought to 0..1, on its own; default 'minmax'. 'none' expects values already in 0..1. */
  normalize?: 'minmax' | 'symmetric' | 'abs' | 'none';
  /** One per map, drawn in a strip above its tile. */
  labels?: string[];
  /** Default ceil(sqrt(number of maps)). */
  columns?: number;
  /** Small maps are upscaled by a whole factor until their longer side is at least this; default 56. */
  targetTile?: number;
  /** Pixels between tiles; default 1. */
  gap?: number;
  /** Shows in the gaps; default white. */
  background?: RGB;
}

const LABEL_STRIP: RGB = [48, 48, 48];
const LABEL_TEXT: RGB = [255, 255, 255];
/** Space around a label, in font pixels. */
const LABEL_PAD = 2;

const NORMALIZERS = {
  minmax: normalizeMinMax,
  symmetric: normalizeSymmetric,
  abs: normalizeAbs,
  none: (data: ArrayLike<number>) => data,
};

/**
 * Lays out maps of size (h, w) as tiles, row by row, each normalised on its own and
 * upscaled by nearest neighbour, with an optional label strip above every tile.
 *
 * ```ts
 * const maps = Array.from({ length: 16 }, (_, c) => features.data.subarray(c * 24 * 24, (c + 1) * 24 * 24));
 * const canvas = renderGrid(maps, 24, 24, { labels: maps.map((_, c) => String(c)) });
 * writePng('conv1.png', canvas);
 * ```
 */
export function renderGrid(maps: ArrayLike<number>[], h: number, w: number, options?: GridOptions): Canvas {
  const opts = checkOptions(options, 'renderGrid: options');
  const { cmap = 'viridis', normalize = 'minmax', labels, targetTile = 56, gap = 1, background = [255, 255, 255] } = opts;
  if (!Array.isArray(maps)) throw argumentError(`renderGrid: maps must be an array of maps, not ${describe(maps)}`);
  const n = maps.length;
  if (n === 0) throw argumentError('renderGrid: no maps');
  checkInteger(h, 'renderGrid: the map height', 1);
  checkInteger(w, 'renderGrid: the map width', 1);
  maps.forEach((m, i) => {
    const length = typeof m === 'object' && m !== null ? m.length : undefined;
    if (length !== h * w) throw new ConvscopeError('E_SHAPE', `renderGrid: map ${i} has ${describeEntry(length)} values but a ${h}x${w} map needs ${h * w}`);
  });
  checkChoice(cmap, 'colormap', COLORMAP_NAMES);
  checkChoice(normalize, 'normalize mode', Object.keys(NORMALIZERS) as (keyof typeof NORMALIZERS)[]);
  if (labels !== undefined && !(Array.isArray(labels) && labels.every((l) => typeof l === 'string'))) {
    throw argumentError(`renderGrid: labels must be an array of strings, not ${describe(labels)}`);
  }
  if (labels && labels.length !== n) throw argumentError(`renderGrid: ${labels.length} labels for ${n} maps`);
  const columns = opts.columns ?? Math.ceil(Math.sqrt(n));
  if (!Number.isSafeInteger(columns) || columns < 1) throw argumentError(`renderGrid: columns must be a positive integer, got ${describeEntry(columns)}`);
  checkInteger(targetTile, 'renderGrid: targetTile', 1);
  checkInteger(gap, 'renderGrid: gap', 0);
  const rows = Math.ceil(n / columns);

  const upscale = Math.max(1, Math.ceil(targetTile / Math.max(h, w)));
  const tileW = w * upscale;
  const tileH = h * upscale;
  // Twice the font size when every label fits its tile at that size, so numbers read at a glance.
  const textScale = labels && labels.every((l) => textWidth(l, 2) + 2 * LABEL_PAD * 2 <= tileW) ? 2 : 1;
  const stripH = labels ? (GLYPH_HEIGHT + 2 * LABEL_PAD - 1) * textScale : 0;
  const cellH = stripH + tileH;

  const canvas = new Canvas(columns * tileW + (columns - 1) * gap, rows * cellH + (rows - 1) * gap, background);
  const map = colormap(cmap);
  for (let i = 0; i < n; i++) {
    const x = (i % columns) * (tileW + gap);
    const y = Math.floor(i / columns) * (cellH + gap);
    if (labels) {
      canvas.fillRect(x, y, tileW, stripH, LABEL_STRIP);
      const pad = LABEL_PAD * textScale;
      const room = Math.floor((tileW - pad + textScale) / (ADVANCE * textScale));
      canvas.drawText(labels[i].slice(0, Math.max(0, room)), x + pad, y + pad, LABEL_TEXT, textScale);
    }
    canvas.drawMap(NORMALIZERS[normalize](maps[i]), h, w, x, y + stripH, map, upscale);
  }
  return canvas;
}

/** The picture endings the CLI writes. */
export const PICTURE_ENDINGS = ['.png', '.jpg', '.jpeg'];

/** A PNG, or a JPEG (quality 92) when the name ends in .jpg or .jpeg. */
export function encodePicture(name: string, canvas: Canvas): Uint8Array {
  return /\.jpe?g$/i.test(name) ? encodeJpeg(canvas, 92) : encodePng(canvas);
}
