// Saves numbers as a .npy file (float32, C order), as the CLI writes them.
import { toNpy } from '../../io/npy.ts';
import type { Numbers } from '../session.ts';
import { h } from './dom.ts';

export function downloadButton(label: string, file: string, numbers: () => Numbers): HTMLButtonElement {
  return h('button', {
    type: 'button', class: 'link', title: `save the numbers as ${file}`,
    onclick: () => {
      const { shape, data } = numbers();
      const bytes = toNpy(shape, data);
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
      const a = h('a', { href: url, download: file });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
  }, label);
}
