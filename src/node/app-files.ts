import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConvscopeError } from '../errors.ts';
import { packageRoot } from '../package-root.ts';
import { isFolder } from './files.ts';

/** The built browser app (dist/app), which `serve` serves and `app` copies. */
export function appFolder(): string {
  const dir = join(packageRoot(), 'dist', 'app');
  if (!existsSync(join(dir, 'index.html'))) {
    throw new ConvscopeError('E_NOT_FOUND', `the browser app is not built (${dir} has no index.html); run npm run build`);
  }
  return dir;
}

/**
 * A model and an image published beside the app: each file by its path under the site
 * (files/model/…, files/image/…), and the query that opens them (`?model=…&image=…`, relative
 * addresses, so the site works under any folder of a host, and the page's preprocessing fields,
 * `scale=…&mean=…&std=…`). A TensorFlow.js or converted model.json brings the weight files it
 * names, beside it as the page fetches them. For a model that has loaded (its model.json is valid).
 */
export interface AppInputs {
  files: Map<string, string>;
  query: string;
}

export function appInputs(model: string | undefined, image: string | undefined, preprocessing: Record<string, string> = {}): AppInputs {
  const files = new Map<string, string>();
  const params: string[] = [];
  if (model !== undefined) {
    const json = isFolder(model) ? join(model, 'model.json') : /\.json$/i.test(model) ? model : undefined;
    const main = json ?? model;
    files.set(`files/model/${basename(main)}`, main);
    if (json !== undefined) for (const name of weightFiles(json)) files.set(`files/model/${name}`, join(dirname(json), name));
    params.push(`model=${queryValue(`files/model/${basename(main)}`)}`);
  }
  if (image !== undefined) {
    files.set(`files/image/${basename(image)}`, image);
    params.push(`image=${queryValue(`files/image/${basename(image)}`)}`);
  }
  for (const [name, value] of Object.entries(preprocessing)) params.push(`${name}=${encodeURIComponent(value)}`);
  return { files, query: params.length > 0 ? `?${params.join('&')}` : '' };
}

/** The weight files a model.json names: a converted folder's weights.bin, or a TensorFlow.js manifest's paths. */
function weightFiles(json: string): string[] {
  const spec = JSON.parse(readFileSync(json, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
  return spec.weightsManifest ? spec.weightsManifest.flatMap((group) => group.paths) : ['weights.bin'];
}

/** A path as a query value, its slashes kept readable. */
function queryValue(path: string): string {
  return encodeURIComponent(path).replace(/%2F/g, '/');
}
