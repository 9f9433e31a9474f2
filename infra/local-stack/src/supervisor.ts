import { describeExit, type ProcessExit, signalProcessTree } from '@redwire/launchers';

/** A started process as the supervisor sees it. */
export interface ChildHandle {
  readonly pid: number | undefined;
  /** Resolves when this process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** Graceful stop (the child's own shutdown, escalated to SIGKILL after its grace period). */
  stop(): Promise<void>;
}

/** Something the supervisor keeps running: a service, the worker, a Redis or PostgreSQL server. */
export interface SupervisedChild {
  /** Unique; used in log lines and by the control methods (`user-worker`, `redis`). */
  readonly name: string;
  /** Starts one process; rejects when it cannot (counted as a crash after start-up). */
  start(): Promise<ChildHandle>;
}

/** What happened to a child, for logs and for the chaos harness's timeline. */
export type SupervisorEvent =
  | {
      readonly type: 'started';
      readonly name: string;
      readonly pid: number | undefined;
      readonly restart: boolean;
    }
  | {
      readonly type: 'exited';
      readonly name: string;
      readonly pid: number | undefined;
      readonly exit: ProcessExit;
      /** Held, or being stopped: nobody restarts it. */
      readonly expected: boolean;
    }
  | {
      readonly type: 'restarting';
      readonly name: string;
      readonly reason: string;
      readonly delayMs: number;
      /** Crashes of this child within the window, this one included. */
      readonly crashes: number;
    }
  | { readonly type: 'gave-up'; readonly name: string; readonly message: string };

/** Options of {@link Supervisor}. The defaults are documented in infra/local-stack/README.md. */
export interface SupervisorOptions {
  /** Delay before the first restart after a crash; doubles with each further crash in the window. @default 250 */
  readonly initialBackoffMs?: number;
  /** Longest delay between restarts. @default 8000 */
  readonly maxBackoffMs?: number;
  /** Crashes of one child within `crashWindowMs` after which the supervisor gives up. @default 5 */
  readonly maxCrashes?: number;
  /** @default 60000 */
  readonly crashWindowMs?: number;
  /** Every start, exit, scheduled restart and the give-up. @default ignore */
  readonly onEvent?: (event: SupervisorEvent, at: number) => void;
  /** Called once, when a child crashed too often or exited before `arm()`. @default ignore */
  readonly onGiveUp?: (message: string) => void;
  /** Wall clock in ms. @default Date.now */
  readonly clock?: () => number;
}

type State = 'starting' | 'running' | 'restarting' | 'held' | 'stopped';

interface Entry {
  readonly child: SupervisedChild;
  state: State;
  handle: ChildHandle | undefined;
  /** Times of recent crashes (within the window). */
  crashes: number[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * Keeps the stack's processes running, like compose's `restart: unless-stopped`: a child that exits on
 * its own is restarted after a back-off (250 ms, doubling up to 8 s); one that crashes `maxCrashes` times
 * within `crashWindowMs` makes the supervisor give up, so a crash loop ends with a clear message instead
 * of running forever. Before `arm()` (start-up) any exit is fatal: a service that cannot start is a
 * configuration or build error that restarting would only hide.
 *
 * A fault injector that wants to own an outage (kill Redis, wait, restart it with its data) calls
 * `hold(name)` first: an exit of a held child is expected and nobody restarts it until `release(name)`.
 */
export class Supervisor {
  readonly #o: Required<Omit<SupervisorOptions, 'onEvent' | 'onGiveUp' | 'clock'>> &
    Pick<SupervisorOptions, 'onEvent' | 'onGiveUp'> & { clock: () => number };
  readonly #entries = new Map<string, Entry>();
  #armed = false;
  #closed = false;
  #failure: string | undefined;

  constructor(options: SupervisorOptions = {}) {
    this.#o = {
      initialBackoffMs: 250,
      maxBackoffMs: 8000,
      maxCrashes: 5,
      crashWindowMs: 60_000,
      clock: Date.now,
      ...options,
    };
    const { initialBackoffMs, maxBackoffMs, maxCrashes, crashWindowMs } = this.#o;
    for (const [name, value] of Object.entries({
      initialBackoffMs,
      maxBackoffMs,
      maxCrashes,
      crashWindowMs,
    })) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1`);
    }
    if (maxBackoffMs < initialBackoffMs) throw new RangeError('maxBackoffMs must be >= initialBackoffMs');
  }

  /** Why the supervisor gave up, once it has. */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** Names of the children, in the order they were added. */
  get names(): string[] {
    return [...this.#entries.keys()];
  }

  /** Starts `child` and keeps it running. Rejects when the first start fails (nothing is retried then). */
  async add(child: SupervisedChild): Promise<void> {
    if (this.#entries.has(child.name)) throw new Error(`${child.name} is already supervised`);
    const entry: Entry = { child, state: 'starting', handle: undefined, crashes: [], timer: undefined };
    this.#entries.set(child.name, entry);
    const handle = await child.start();
    if (this.#closed) {
      entry.state = 'stopped';
      await handle.stop();
      throw new Error('the stack is stopping');
    }
    this.#adopt(entry, handle, false);
  }

  /** Start-up is over: from now on an exit is a crash to restart, not a reason to stop the stack. */
  arm(): void {
    this.#armed = true;
  }

  /** The running process id of `name`, if it runs. */
  pid(name: string): number | undefined {
    return this.#entry(name).handle?.pid;
  }

  /** Whether `name` has a running process. */
  running(name: string): boolean {
    return this.#entry(name).handle !== undefined;
  }

  /**
   * Sends `signal` to the running process of `name` (with `tree`, to it and every descendant: PostgreSQL's
   * backends are its children). Returns the pid signalled, undefined when it was not running.
   */
  signal(name: string, signal: NodeJS.Signals, { tree = false } = {}): number | undefined {
    const pid = this.pid(name);
    if (pid === undefined) return undefined;
    if (tree) signalProcessTree(pid, signal);
    else process.kill(pid, signal);
    return pid;
  }

  /** Stops supervising `name` until `release`: an exit meanwhile is expected (the caller owns the outage). */
  hold(name: string): void {
    const entry = this.#entry(name);
    if (entry.state === 'stopped') return;
    clearTimeout(entry.timer);
    entry.state = 'held';
  }

  /**
   * Supervises `name` again, starting it first if it is not running. Resolves once that start succeeded or
   * failed (a failed start counts as a crash and is retried after the back-off, like any other).
   */
  async release(name: string): Promise<void> {
    const entry = this.#entry(name);
    if (entry.state !== 'held') return;
    if (entry.handle) {
      entry.state = 'running';
      return;
    }
    await this.#launch(entry);
  }

  /** Stops these children (in parallel) for good: no restart, whatever their state. */
  async stop(names: readonly string[]): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        const entry = this.#entries.get(name);
        if (!entry) return;
        entry.state = 'stopped';
        clearTimeout(entry.timer);
        await entry.handle?.stop();
      }),
    );
  }

  /** Refuses every later `add` and stops every child, the most recently added first, in groups of equals. */
  async close(groups: readonly (readonly string[])[] = [this.names.reverse()]): Promise<void> {
    this.#closed = true;
    for (const group of groups) await this.stop(group);
    await this.stop(this.names);
  }

  #entry(name: string): Entry {
    const entry = this.#entries.get(name);
    if (!entry) throw new Error(`no supervised process named ${name}`);
    return entry;
  }

  #emit(event: SupervisorEvent): void {
    this.#o.onEvent?.(event, this.#o.clock());
  }

  #adopt(entry: Entry, handle: ChildHandle, restart: boolean): void {
    entry.handle = handle;
    if (entry.state === 'starting') entry.state = 'running';
    this.#emit({ type: 'started', name: entry.child.name, pid: handle.pid, restart });
    void handle.exited.then((exit) => this.#exited(entry, handle, exit));
  }

  #exited(entry: Entry, handle: ChildHandle, exit: ProcessExit): void {
    if (entry.handle !== handle) return;
    entry.handle = undefined;
    const expected = entry.state === 'held' || entry.state === 'stopped' || this.#closed;
    this.#emit({ type: 'exited', name: entry.child.name, pid: handle.pid, exit, expected });
    if (expected) return;
    const reason = describeExit(exit);
    if (!this.#armed) {
      this.#giveUp(entry, `${entry.child.name} ${reason} during start-up`);
      return;
    }
    this.#crashed(entry, reason);
  }

  #crashed(entry: Entry, reason: string): void {
    const now = this.#o.clock();
    entry.crashes = [...entry.crashes.filter((t) => now - t < this.#o.crashWindowMs), now];
    const crashes = entry.crashes.length;
    if (crashes >= this.#o.maxCrashes) {
      this.#giveUp(
        entry,
        `${entry.child.name} crashed ${crashes} times within ${this.#o.crashWindowMs / 1000} s (last: ${reason}); giving up`,
      );
      return;
    }
    const delayMs = Math.min(this.#o.initialBackoffMs * 2 ** (crashes - 1), this.#o.maxBackoffMs);
    entry.state = 'restarting';
    this.#emit({ type: 'restarting', name: entry.child.name, reason, delayMs, crashes });
    entry.timer = setTimeout(() => void this.#launch(entry), delayMs);
  }

  async #launch(entry: Entry): Promise<void> {
    entry.state = 'starting';
    let handle: ChildHandle;
    try {
      handle = await entry.child.start();
    } catch (error) {
      if (entry.state !== 'starting' || this.#closed) return;
      this.#crashed(
        entry,
        `failed to start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      );
      return;
    }
    if (entry.state !== 'starting' || this.#closed) {
      // Stopped or held while it was starting: the caller does not want it running.
      await handle.stop();
      return;
    }
    this.#adopt(entry, handle, true);
  }

  #giveUp(entry: Entry, message: string): void {
    if (this.#failure !== undefined) return;
    this.#failure = message;
    entry.state = 'stopped';
    this.#emit({ type: 'gave-up', name: entry.child.name, message });
    this.#o.onGiveUp?.(message);
  }
}
