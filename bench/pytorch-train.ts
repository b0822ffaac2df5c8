// The PyTorch training-step peer (bench/pytorch_mnist_train.py) as a process that stays up, so
// that its timed rounds can alternate with convscope's in the same run.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export interface PytorchTrainReady {
  torch: string;
  threads: number;
  batch: number;
  /** The batch's loss from the shared initial weights, dropout off. */
  loss: number;
  /** max|torch - convscope| over the weights after one Adam step (dropout off), and max|convscope|. */
  weightsMaxAbsDiff: number;
  weightsMaxAbs: number;
}

export class PytorchTrainPeer {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.on('data', (d) => (this.stderr += String(d)));
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  /** Starts the peer on the batch (x.npy, y.npy) from the model folder `initial`; `afterOneStep` is convscope's result to check against. */
  static async start(python: string, root: string, initial: string, afterOneStep: string, x: string, y: string): Promise<{ peer: PytorchTrainPeer; ready: PytorchTrainReady }> {
    const child = spawn(python, [join(root, 'bench', 'pytorch_mnist_train.py'), initial, afterOneStep, x, y, '--threads', '1'], { cwd: join(root, 'bench') });
    const peer = new PytorchTrainPeer(child);
    return { peer, ready: (await peer.next()) as unknown as PytorchTrainReady };
  }

  /** The times (ms) of `steps` training steps. */
  async time(steps: number): Promise<number[]> {
    this.child.stdin.write(`time ${steps}\n`);
    return (await this.next()).ms as number[];
  }

  close(): void {
    this.child.stdin.end();
  }

  private async next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`the PyTorch peer stopped: ${this.stderr.trim().split('\n').pop() ?? ''}`);
    return JSON.parse(value) as Record<string, unknown>;
  }
}
