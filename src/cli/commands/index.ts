import type { Command } from '../command.ts';
import { info } from './info.ts';
import { convert } from './convert.ts';
import { predict } from './predict.ts';
import { activations } from './activations.ts';

export const commands: Command[] = [info, convert, predict, activations];
