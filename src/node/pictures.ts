import { encodeJpeg, encodePicture, encodePng, type Canvas } from '../io/png-output.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { checkString } from '../check.ts';

export function writePng(path: string, canvas: Canvas): void {
  checkString(path, 'the PNG path');
  writeFileAtomic(path, encodePng(canvas));
}

/** quality: 1..100, jpeg-js's scale. */
export function writeJpeg(path: string, canvas: Canvas, quality = 90): void {
  checkString(path, 'the JPEG path');
  writeFileAtomic(path, encodeJpeg(canvas, quality));
}

/** Writes a PNG, or a JPEG (quality 92) when the path ends in .jpg or .jpeg. */
export function writePicture(path: string, canvas: Canvas): void {
  checkString(path, 'the picture path');
  writeFileAtomic(path, encodePicture(path, canvas));
}
