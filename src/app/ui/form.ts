// Labelled number inputs and selects for the method panels.
import { h } from './dom.ts';

export function numberField(label: string, id: string, value: number, attributes: Record<string, string | number> = {}): HTMLLabelElement {
  return h('label', { class: 'field' }, label, h('input', { id, type: 'number', value, ...attributes }));
}

export function selectField(label: string, id: string, options: { value: string; text: string }[], selected?: string): HTMLLabelElement {
  const select = h('select', { id });
  for (const option of options) select.appendChild(h('option', { value: option.value, selected: option.value === selected }, option.text));
  return h('label', { class: 'field' }, label, select);
}

export function readNumber(root: ParentNode, id: string): number {
  return Number((root.querySelector(`#${id}`) as HTMLInputElement).value);
}

export function readSelect(root: ParentNode, id: string): string {
  return (root.querySelector(`#${id}`) as HTMLSelectElement).value;
}

export function classOptions(classes: number, predicted: number | null): { value: string; text: string }[] {
  return [{ value: '', text: predicted === null ? 'predicted' : `predicted (${predicted})` }, ...Array.from({ length: classes }, (_, k) => ({ value: String(k), text: String(k) }))];
}
