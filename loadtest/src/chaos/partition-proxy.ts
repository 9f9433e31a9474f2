import { type ChildProcess, fork } from 'node:child_process';
import net from 'node:net';

/**
 * A TCP link between one service and a server that can be partitioned: while partitioned it stops
 * moving bytes both ways (and holds new connections), so the kernel buffers fill as on a network that
 * drops every packet; when healed, what was held flows on, as TCP retransmission would deliver it after a
 * partition shorter than its timeouts. Nothing is lost or reordered, nothing is refused: the service sees
 * a peer that stopped answering, while every other service still reaches the server directly.
 *
 * It runs in a child process of its own (see PartitionProxy), so the load driver's busy event loop never
 * delays the bytes it forwards. A process standing in for a network needs no root and no namespaces; a netns/veth
 * partition works on this machine as root (`ip netns add` was tried) but would need the runner to start a
 * service inside a namespace; that is the hook to use when a kernel-level partition is wanted.
 */
export class PartitionLink {
  readonly #server: net.Server;
  readonly #pairs = new Set<[net.Socket, net.Socket]>();
  #partitioned = false;

  private constructor(server: net.Server) {
    this.#server = server;
  }

  /** Listens on a free loopback port and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<PartitionLink> {
    const server = net.createServer();
    const proxy = new PartitionLink(server);
    server.on('connection', (client) => proxy.#accept(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  get partitioned(): boolean {
    return this.#partitioned;
  }

  partition(): void {
    this.#partitioned = true;
    for (const [a, b] of this.#pairs) {
      a.pause();
      b.pause();
    }
  }

  heal(): void {
    this.#partitioned = false;
    for (const [a, b] of this.#pairs) {
      a.resume();
      b.resume();
    }
  }

  async close(): Promise<void> {
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Copies `from` into `to`, with back-pressure; a drain never resumes a partitioned connection (pipe() would). */
  #forward(from: net.Socket, to: net.Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (to.write(chunk)) return;
      from.pause();
      to.once('drain', () => {
        if (!this.#partitioned) from.resume();
      });
    });
  }

  #accept(client: net.Socket, target: { host: string; port: number }): void {
    const upstream = net.connect(target);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.#pairs.add(pair);
    this.#forward(client, upstream);
    this.#forward(upstream, client);
    if (this.#partitioned) {
      client.pause();
      upstream.pause();
    }
    const close = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }
}

/** Messages between the harness and the link's process. */
type LinkCommand = 'partition' | 'heal';

/** The harness's handle on a {@link PartitionLink} running in its own child process. */
export class PartitionProxy {
  readonly #child: ChildProcess;
  readonly port: number;

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.port = port;
  }

  /** Starts the link's process, forwarding a free loopback port to `target`. */
  static async start(target: { host: string; port: number }): Promise<PartitionProxy> {
    const child = fork(__filename, [target.host, String(target.port)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message) => resolve(Number(message)));
      child.once('exit', (code) => reject(new Error(`the partition link exited with ${code}`)));
    });
    return new PartitionProxy(child, port);
  }

  partition(): Promise<void> {
    return this.#send('partition');
  }

  heal(): Promise<void> {
    return this.#send('heal');
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGTERM');
    await exited;
  }

  /** Resolves once the link's process has applied the command. */
  #send(command: LinkCommand): Promise<void> {
    return new Promise((resolve) => {
      this.#child.once('message', () => resolve());
      this.#child.send(command);
    });
  }
}

// The link's process: `node partition-proxy.js <host> <port>`, driven over IPC.
if (require.main === module) {
  const [host = '127.0.0.1', port = '0'] = process.argv.slice(2);
  void PartitionLink.start({ host, port: Number(port) }).then((link) => {
    process.send?.(link.port);
    process.on('message', (command: LinkCommand) => {
      if (command === 'partition') link.partition();
      else link.heal();
      process.send?.(command);
    });
    process.on('SIGTERM', () => void link.close().then(() => process.exit(0)));
    // Never outlive the harness.
    process.on('disconnect', () => void link.close().then(() => process.exit(0)));
  });
}
