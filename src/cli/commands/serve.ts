import type { Command } from '../command.ts';
import { parse, intOption } from '../args.ts';
import { UsageError } from '../errors.ts';
import { appInputOptionSpecs, appInputOptionsHelp, checkedAppInputs } from '../app-inputs.ts';
import { modelAndImage } from '../model-or-image.ts';
import { appFolder } from '../../node/app-files.ts';
import { serveApp } from '../../node/app-server.ts';

const usage = `Usage: convscope serve [MODEL] [IMAGE] [--port 8080] [--host 127.0.0.1] [--scale X --mean .. --std ..]

Serves the browser app and prints its address; runs until Ctrl-C. The page draws digits on
the shipped MNIST CNN, and opens any model and image you drop on it. MODEL (a Keras .h5 or
.keras file, a TensorFlow.js model.json or a converted folder) and IMAGE (PNG, JPEG or .npy)
are served with it and opened at the printed address; with one argument, a model file or
folder is the MODEL, anything else the IMAGE for the shipped model.
--port: 0 picks a free one. --host: 127.0.0.1 (default) serves this machine only; 0.0.0.0
serves every network it is on. The pages carry the cross-origin isolation headers
(COOP/COEP), so the app can run two threads where the browser calls the address secure
(localhost, 127.0.0.1 or https); elsewhere it runs on one, with the same results.
${appInputOptionsHelp}`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'the browser app on a local web server',
  usage,
  async run(args) {
    const { values, positionals } = parse(args, { port: { type: 'string' }, host: { type: 'string' }, ...appInputOptionSpecs }, usage);
    const port = intOption(values.port, 'port', 8080, 0);
    if (port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, not '${values.port}'`);
    const host = values.host ?? '127.0.0.1';
    if (host.trim() === '') throw new UsageError(`--host must name an address (e.g. 127.0.0.1 or 0.0.0.0), not '${host}'`);
    const root = appFolder();
    const inputs = await checkedAppInputs(modelAndImage(positionals, usage), values);
    const mounts = Object.fromEntries([...inputs.files].map(([path, file]) => [`/${path}`, file]));
    const server = await serveApp({ root, host, port, mounts });
    console.log(`convscope app: ${server.url}${inputs.query}`);
    console.log('(Ctrl-C stops the server)');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
  },
};
