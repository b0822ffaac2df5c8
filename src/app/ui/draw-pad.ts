// The canvas a digit is drawn on, with mouse, pen or finger (pointer events), white on black as
// MNIST's digits are. onChange fires while drawing (the page asks for a prediction whenever the
// worker is free) and once more when the stroke ends.
import { h } from './dom.ts';

const SIZE = 280;
const LINE_WIDTH = 22;

export class DrawPad {
  readonly canvas = h('canvas', { width: SIZE, height: SIZE, class: 'draw-pad', 'aria-label': 'drawing pad: draw a digit here' });
  private readonly context = this.canvas.getContext('2d', { willReadFrequently: true })!;
  private last: { x: number; y: number } | null = null;
  enabled = true;

  constructor(private readonly onChange: (final: boolean) => void) {
    this.clear();
    this.canvas.addEventListener('pointerdown', (e) => this.down(e));
    this.canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel', 'pointerleave'] as const) this.canvas.addEventListener(type, () => this.up());
  }

  clear(): void {
    this.context.fillStyle = '#000';
    this.context.fillRect(0, 0, SIZE, SIZE);
  }

  pixels(): ImageData {
    return this.context.getImageData(0, 0, SIZE, SIZE);
  }

  /** Shows an image (a shipped digit, say) on the pad, to draw over. */
  show(image: CanvasImageSource): void {
    this.clear();
    this.context.imageSmoothingEnabled = true;
    this.context.drawImage(image, 0, 0, SIZE, SIZE);
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const box = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - box.left) * SIZE) / box.width, y: ((e.clientY - box.top) * SIZE) / box.height };
  }

  private down(e: PointerEvent): void {
    if (!this.enabled) return;
    this.canvas.setPointerCapture?.(e.pointerId);
    this.last = this.point(e);
    this.line(this.last, this.last);
    this.onChange(false);
  }

  private move(e: PointerEvent): void {
    if (this.last === null) return;
    const next = this.point(e);
    this.line(this.last, next);
    this.last = next;
    this.onChange(false);
  }

  private up(): void {
    if (this.last === null) return;
    this.last = null;
    this.onChange(true);
  }

  private line(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const c = this.context;
    c.strokeStyle = '#fff';
    c.lineWidth = LINE_WIDTH;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(from.x, from.y);
    c.lineTo(to.x, to.y);
    c.stroke();
  }
}
