// What the views share: the worker, the model and input as they stand, and the page's error line.
import type { WorkerClient } from '../client.ts';
import type { ModelInfo, Numbers } from '../session.ts';

export interface AppContext {
  client: WorkerClient;
  model(): ModelInfo | null;
  /** The predicted class of the current input, or null before the first prediction. */
  predicted(): number | null;
  /** Shows one readable line (null clears it). */
  error(message: string | null): void;
  /** What the tests read: the numbers behind the pictures on show. */
  expose(name: string, value: Numbers | Record<string, Numbers> | number | string | null): void;
}

export function mapLayers(info: ModelInfo): string[] {
  return info.nodes.filter((n) => n.maps).map((n) => n.name);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
