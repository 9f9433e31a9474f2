import type { Server } from 'node:http';
import { withDeadline } from '@redwire/deadline';
import { type Logger, silentLogger } from './logger';
import { ServerDrainer } from './server-drain';

/** Where signals come from; `process` in production, an EventEmitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/** Options of {@link createShutdown}. */
export interface ShutdownOptions {
  /** Servers to drain first. More can be added with `addServer`. @default [] */
  readonly servers?: readonly Server[];
  /**
   * How long in-flight requests may take to finish before their connections are destroyed.
   * @default 10000
   */
  readonly timeoutMs?: number;
  /**
   * Deadline for each registered resource's close function.
   * @default 5000
   */
  readonly resourceTimeoutMs?: number;
  /** Progress and failures. @default silent */
  readonly logger?: Logger;
  /**
   * Signals that start the shutdown; `false` installs no handlers (call `shutdown()` yourself).
   * @default ['SIGTERM', 'SIGINT']
   */
  readonly signals?: readonly NodeJS.Signals[] | false;
  /** @default process */
  readonly signalSource?: SignalSource;
  /**
   * Called once at the end with 0, or 1 if a resource failed to close in time.
   * @default process.exit
   */
  readonly exit?: (code: number) => void;
}

/** The handle {@link createShutdown} returns. */
export interface Shutdown {
  /** Adds a server to drain (before resources are closed). Call before it takes traffic. */
  addServer(server: Server): void;
  /**
   * Registers a resource to close after the servers have drained. Resources close one at a time, in
   * registration order — register in dependency order (e.g. workers, then Redis, then the pool, then the
   * OTel SDK last so it flushes the spans of everything before it).
   */
  register(name: string, close: () => Promise<unknown> | unknown): void;
  /** Runs the shutdown (as a signal would); every call returns the same promise, resolving to the exit code. */
  shutdown(reason?: string): Promise<number>;
  /** True once shutdown started; wire it to `/readyz` so load balancers stop routing here. */
  isShuttingDown(): boolean;
  /** Aborted when shutdown starts, e.g. to stop consumer loops. */
  readonly signal: AbortSignal;
  /** Removes the signal handlers (tests). */
  dispose(): void;
}

/**
 * Graceful shutdown: on the first SIGTERM/SIGINT, stop accepting connections and let in-flight requests
 * finish (bounded by `timeoutMs`), then close registered resources in order (each bounded), then exit.
 * Repeated signals are ignored while it runs.
 */
export function createShutdown(options: ShutdownOptions = {}): Shutdown {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const resourceTimeoutMs = options.resourceTimeoutMs ?? 5_000;
  const logger = options.logger ?? silentLogger;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const source: SignalSource = options.signalSource ?? process;
  const signals = options.signals === false ? [] : (options.signals ?? ['SIGTERM', 'SIGINT']);
  if (!(timeoutMs > 0) || !(resourceTimeoutMs > 0))
    throw new RangeError('createShutdown: timeouts must be positive');

  const drainers = (options.servers ?? []).map((server) => ServerDrainer.for(server));
  const resources: { name: string; close: () => Promise<unknown> | unknown }[] = [];
  const controller = new AbortController();
  let running: Promise<number> | undefined;

  async function run(reason: string): Promise<number> {
    logger.info({ reason, inFlight: drainers.reduce((n, d) => n + d.inFlight, 0) }, 'shutting down');
    await Promise.all(drainers.map((d) => d.drain(timeoutMs, logger)));
    let code = 0;
    for (const { name, close } of resources) {
      try {
        await withDeadline(Promise.resolve().then(close), resourceTimeoutMs);
        logger.info({ resource: name }, `closed ${name}`);
      } catch (err) {
        code = 1;
        logger.error({ err, resource: name }, `failed to close ${name}`);
      }
    }
    logger.info({ code }, 'shutdown complete');
    dispose();
    exit(code);
    return code;
  }

  function shutdown(reason = 'shutdown requested'): Promise<number> {
    if (running) {
      logger.info({ reason }, 'shutdown already in progress');
      return running;
    }
    controller.abort();
    running = run(reason);
    return running;
  }

  const listeners = signals.map((sig) => {
    const listener = () => void shutdown(sig);
    source.on(sig, listener);
    return [sig, listener] as const;
  });

  function dispose(): void {
    for (const [sig, listener] of listeners) source.off(sig, listener);
  }

  return {
    addServer: (server) => {
      drainers.push(ServerDrainer.for(server));
    },
    register: (name, close) => {
      if (running) throw new Error(`cannot register ${name}: shutdown already started`);
      resources.push({ name, close });
    },
    shutdown,
    isShuttingDown: () => running !== undefined,
    signal: controller.signal,
    dispose,
  };
}
