import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from '../command.ts';
import { parse } from '../args.ts';
import { checkOutputs } from '../outputs.ts';
import { appInputOptionSpecs, appInputOptionsHelp, checkedAppInputs } from '../app-inputs.ts';
import { modelAndImage } from '../model-or-image.ts';
import { appFolder } from '../../node/app-files.ts';
import { writeOutputs } from '../../node/output-set.ts';

/** Every app folder holds the worker; a folder with it may be replaced by a new app. */
const APP_MARKER = 'worker.js';

const usage = `Usage: convscope app [MODEL] [IMAGE] [--out DIR] [--scale X --mean .. --std ..]

Writes the browser app as a static site into DIR (default: convscope-app): the page, its
worker and the shipped MNIST CNN. MODEL and IMAGE (as for serve) are copied in under
DIR/files/, and the address that opens them is printed. Put DIR on any static web host, or
serve it with \`convscope serve\`'s server; a page opened from a file:// address cannot start
its worker. A host that sends no cross-origin isolation headers (COOP/COEP) gets the app on
one thread, with the same results. DIR is written whole: it must be new, empty or an earlier
app (a folder with ${APP_MARKER}), which is replaced.
${appInputOptionsHelp}`;

export const appCommand: Command = {
  name: 'app',
  summary: 'the browser app as a static site',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { out: { type: 'string' }, ...appInputOptionSpecs }, usage);
    const dir = values.out ?? 'convscope-app';
    const root = appFolder();
    const given = modelAndImage(positionals, usage);
    checkOutputs([{ option: '--out', path: dir, folderMarker: APP_MARKER }], [given.model, given.image].filter((p): p is string => p !== undefined));
    const inputs = await checkedAppInputs(given, values);
    writeOutputs((set) => set.folder(dir, (staging) => {
      cpSync(root, staging, { recursive: true });
      for (const [path, file] of inputs.files) {
        mkdirSync(dirname(join(staging, path)), { recursive: true });
        cpSync(file, join(staging, path));
      }
    }));
    console.log(`wrote ${dir}: serve it from any static web host and open index.html${inputs.query}`);
  },
};
