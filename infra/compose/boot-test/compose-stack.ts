// The compose project under test, seen the way a user sees it: `docker-compose` commands, plus the Docker
// Engine API (DOCKER_HOST) for what compose does not print (health, exit codes, addresses). Both work the
// same against Docker and against podman's Docker-compatible service, so nothing here is podman-specific.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { repoRoot } from '../test/support/repo';

export interface ComposeStackOptions {
  /** Project name (`-p`): prefixes containers, networks and volumes. */
  project: string;
  /** Compose files, relative to the repository root, in order. */
  files: string[];
  /** `--env-file`, relative to the repository root. */
  envFile: string;
  /** The compose command; `docker-compose` (v1) unless BOOT_COMPOSE_COMMAND says otherwise. */
  command: string[];
  /** Added to compose's environment (variable substitution), e.g. REDIS_ACL_FILE. */
  env: Record<string, string>;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The parts of `GET /containers/{id}/json` the boot test reads. */
export interface ContainerInfo {
  Id: string;
  Name: string;
  RestartCount: number;
  State: {
    Status: string;
    ExitCode: number;
    OOMKilled: boolean;
    Health?: { Status: string; Log?: { ExitCode: number; Output: string }[] | null };
  };
  Config: { User: string; Labels: Record<string, string> };
  HostConfig: { Init?: boolean | null };
  NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> };
}

/** DOCKER_HOST (unix sockets only) → the socket path, default /var/run/docker.sock. */
function engineSocket(): string {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://')) throw new Error(`DOCKER_HOST must be a unix socket, got ${host}`);
  return host.slice('unix://'.length);
}

function engineGetRaw(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const request = http.get({ socketPath: engineSocket(), path, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        if (response.statusCode !== 200) {
          reject(new Error(`engine GET ${path}: ${response.statusCode} ${body.toString('utf8')}`));
        } else resolve(body);
      });
    });
    request.on('timeout', () => request.destroy(new Error(`engine GET ${path}: timed out`)));
    request.on('error', reject);
  });
}

async function engineGet<T>(path: string): Promise<T> {
  return JSON.parse((await engineGetRaw(path)).toString('utf8')) as T;
}

/** A container log without TTY is multiplexed: 8-byte frame headers (stream, 0, 0, 0, size) before each chunk. */
function demultiplex(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let offset = 0; offset + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

export class ComposeStack {
  readonly options: ComposeStackOptions;

  constructor(options: ComposeStackOptions) {
    this.options = options;
  }

  /** Runs `<compose> -p … --env-file … -f … <args>` from the repository root. */
  run(args: string[], timeoutMs = 120_000): Promise<CommandResult> {
    const [command, ...prefix] = this.options.command;
    const files = this.options.files.flatMap((file) => ['-f', file]);
    const argv = [
      ...prefix,
      '-p',
      this.options.project,
      '--env-file',
      this.options.envFile,
      ...files,
      ...args,
    ];
    return new Promise((resolve) => {
      execFile(
        command as string,
        argv,
        {
          cwd: repoRoot,
          env: { ...process.env, ...this.options.env },
          timeout: timeoutMs,
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** Like {@link run}, but rejects with compose's output when it exits non-zero. */
  async check(args: string[], timeoutMs?: number): Promise<string> {
    const result = await this.run(args, timeoutMs);
    if (result.code !== 0) {
      throw new Error(`compose ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
    }
    return result.stdout;
  }

  /** `exec -T <service> <command…>` (no TTY), with extra environment for the command. */
  exec(service: string, command: string[], env: Record<string, string> = {}): Promise<CommandResult> {
    const envArgs = Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
    return this.run(['exec', '-T', ...envArgs, service, ...command]);
  }

  /** Every container of the project, by compose service name (one-offs of `run` excluded). */
  async containers(): Promise<Map<string, ContainerInfo>> {
    const filters = encodeURIComponent(
      JSON.stringify({ label: [`com.docker.compose.project=${this.options.project}`] }),
    );
    const list = await engineGet<{ Id: string }[]>(`/containers/json?all=1&filters=${filters}`);
    const byService = new Map<string, ContainerInfo>();
    for (const { Id } of list) {
      const info = await engineGet<ContainerInfo>(`/containers/${Id}/json`);
      const service = info.Config.Labels['com.docker.compose.service'];
      if (service && info.Config.Labels['com.docker.compose.oneoff'] !== 'True') byService.set(service, info);
    }
    return byService;
  }

  /** A service container's whole log (stdout and stderr), straight from the engine: faster than `compose logs`. */
  async logs(service: string): Promise<string> {
    const container = (await this.containers()).get(service);
    if (!container) throw new Error(`no container for ${service}`);
    return demultiplex(await engineGetRaw(`/containers/${container.Id}/logs?stdout=true&stderr=true`));
  }

  /** The compose network `<project>_<name>` as the engine reports it (its IPAM gateway). */
  async networkGateway(name: string): Promise<string> {
    const network = await engineGet<{ IPAM: { Config: { Gateway?: string }[] } }>(
      `/networks/${encodeURIComponent(`${this.options.project}_${name}`)}`,
    );
    const gateway = network.IPAM.Config.find((c) => c.Gateway)?.Gateway;
    if (!gateway) throw new Error(`network ${name} has no gateway address`);
    return gateway;
  }

  /** The address a service's container has on the compose network `name`. */
  static addressOn(container: ContainerInfo, project: string, name: string): string {
    const address = container.NetworkSettings.Networks[`${project}_${name}`]?.IPAddress;
    if (!address) throw new Error(`${container.Name} is not on network ${name}`);
    return address;
  }
}
