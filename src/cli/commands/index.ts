import type { Command } from '../command.ts';
import { info } from './info.ts';
import { convert } from './convert.ts';
import { predict } from './predict.ts';
import { activations } from './activations.ts';
import { deconv } from './deconv.ts';
import { top } from './top.ts';
import { occlusionCommand } from './occlusion.ts';
import { gradcamCommand } from './gradcam.ts';
import { attributeCommand } from './attribute.ts';
import { maximizeCommand } from './maximize.ts';
import { explain } from './explain.ts';
import { trainCommand } from './train.ts';
import { serveCommand } from './serve.ts';
import { appCommand } from './app.ts';

export const commands: Command[] = [info, convert, predict, activations, deconv, top, occlusionCommand, gradcamCommand, attributeCommand, maximizeCommand, explain, trainCommand, serveCommand, appCommand];
