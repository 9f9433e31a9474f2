import { MissingBinaryError } from '@redwire/launchers';
import { LocalStack, StackRefusal } from './local-stack';
import { readStackConfig } from './stack-config';

// `npm start`: runs the local stack until Ctrl-C, printing the ready line once.

const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);

async function main(): Promise<void> {
  let stack: LocalStack | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number) => {
    stopping ??= (async () => {
      log('stopping');
      await stack?.stop();
      log('stopped');
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    stack = new LocalStack(readStackConfig(process.env), {
      log,
      onGiveUp: (message) => {
        log(`${message}: stopping the stack`);
        void shutdown(1);
      },
    });
    await stack.start();
    process.stdout.write(`${stack.readyLine()}\n`);
  } catch (error) {
    if (stopping) return;
    if (error instanceof MissingBinaryError || error instanceof StackRefusal) {
      for (const line of error.message.split('\n')) log(line);
    } else log(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }
}

void main();
