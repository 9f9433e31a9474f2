import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCompose } from './support/compose-model';
import { readRepoFile, repoPath } from './support/repo';

/** One `FROM ... [AS name]` stage of a Dockerfile with its instructions (continuations joined). */
interface Stage {
  from: string;
  name: string | undefined;
  instructions: { op: string; args: string }[];
}

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const argsText = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(argsText);
      stages.push({ from: match?.[1] ?? '', name: match?.[2], instructions: [] });
    } else if (stages.length === 0 && op.toUpperCase() === 'ARG') {
      const [name, value] = argsText.split('=');
      args[name as string] = value ?? '';
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args: argsText });
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readRepoFile('infra/docker/Dockerfile'));
const stage = (name: string) => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const runs = (s: Stage) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);

describe('infra/docker/Dockerfile', () => {
  it('when it is read, then every stage starts from the same Node LTS slim image, pinned to a patch version', () => {
    const image = dockerfile.args.NODE_IMAGE ?? '';
    const match = /^node:(\d+)\.\d+\.\d+-[a-z]+-slim$/.exec(image);
    expect(match, image).not.toBeNull();
    // Even majors are the LTS lines; 20 is the oldest the workspace supports (package.json engines).
    expect(Number(match?.[1]) % 2, 'an LTS (even) major').toBe(0);
    expect(Number(match?.[1])).toBeGreaterThanOrEqual(22);
    const bases = dockerfile.stages.map((s) => s.from);
    for (const base of bases) {
      expect(base === `\${NODE_IMAGE}` || dockerfile.stages.some((s) => s.name === base), base).toBe(true);
    }
  });

  it('when it is read, then it builds in several stages and the last one is the runtime', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile.stages.at(-1)?.name).toBe('runtime');
  });

  it('when dependencies are installed, then npm ci uses the lock file for the whole workspace, and production only for the runtime', () => {
    expect(runs(stage('build')).some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev'))).toBe(true);
    const prod = runs(stage('prod-deps')).find((r) => /\bnpm ci\b/.test(r));
    expect(prod).toMatch(/--omit=dev/);
    expect(prod).toMatch(/--workspace "services\/\$\{SERVICE\}"/);
  });

  it('when the manifests are copied, then every workspace of package-lock.json is among them', () => {
    const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, unknown> };
    const workspaces = Object.keys(lock.packages).filter((p) => p !== '' && !p.includes('node_modules'));
    const copies = stage('manifests')
      .instructions.filter((i) => i.op === 'COPY')
      .map((i) => i.args);
    for (const workspace of workspaces)
      expect(copies, workspace).toContain(`${workspace}/package.json ${workspace}/`);
    expect(copies).toContain('package.json package-lock.json ./');
  });

  it('when the service is compiled, then Lua scripts and SQL migrations are copied next to the JavaScript', () => {
    const build = runs(stage('build')).join('\n');
    expect(build).toMatch(
      /tsc -b "services\/\$\{SERVICE\}"[\s\S]*copy-assets\.mjs[\s\S]*collect-runtime\.mjs/,
    );
  });

  it('when the runtime stage is read, then it holds only the production tree, as a non-root user, with telemetry preloaded', () => {
    const runtime = stage('runtime');
    const ops = runtime.instructions;
    expect(ops.filter((i) => i.op === 'RUN')).toEqual([]);
    for (const copy of ops.filter((i) => i.op === 'COPY')) expect(copy.args).toMatch(/^--from=prod-deps /);
    const user = ops.filter((i) => i.op === 'USER').at(-1)?.args ?? 'root';
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(ops).toContainEqual({ op: 'ENV', args: 'NODE_ENV=production' });
    expect(ops).toContainEqual({ op: 'STOPSIGNAL', args: 'SIGTERM' });
    const cmd = JSON.parse(ops.find((i) => i.op === 'CMD')?.args ?? '[]') as string[];
    // Exec form: node is the process that receives SIGTERM (compose adds tini as PID 1).
    expect(cmd).toEqual(['node', '--require', '/app/shared/observability/dist/preload.js', 'dist/main.js']);
  });

  it('when compose builds an image, then it uses this Dockerfile with a SERVICE that exists', () => {
    for (const [name, service] of Object.entries(loadCompose().value.services)) {
      if (!service.build) continue;
      expect(service.build.dockerfile, name).toBe('infra/docker/Dockerfile');
      expect(
        fs.existsSync(repoPath('services', service.build.args?.SERVICE ?? '-', 'package.json')),
        name,
      ).toBe(true);
    }
  });

  it('when the build context is filtered, then host node_modules, dist and .env never reach it', () => {
    const ignored = readRepoFile('infra/docker/Dockerfile.dockerignore').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '.env', '.git']) expect(ignored).toContain(pattern);
  });

  it('when a builder without per-Dockerfile ignore files builds, then the root .dockerignore filters the same', () => {
    // BuildKit reads Dockerfile.dockerignore; the classic builder, docker-compose 1.x and podman (the compose
    // boot test) read only <context>/.dockerignore.
    const rules = (file: string) =>
      readRepoFile(file)
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith('#'));
    expect(rules('.dockerignore')).toEqual(rules('infra/docker/Dockerfile.dockerignore'));
  });
});

describe('infra/docker/healthcheck.mjs', () => {
  it('when compose probes a service, then it runs the probe the image ships at /app/healthcheck.mjs', () => {
    expect(stage('prod-deps').instructions).toContainEqual({
      op: 'COPY',
      args: 'infra/docker/healthcheck.mjs ./',
    });
    const probes = Object.entries(loadCompose().value.services).filter(([, s]) =>
      s.image?.startsWith('redwire/'),
    );
    for (const [name, service] of probes.filter(([, s]) => s.healthcheck)) {
      expect(service.healthcheck?.test?.slice(0, 3), name).toEqual(['CMD', 'node', '/app/healthcheck.mjs']);
    }
  });

  it('when the URL answers 2xx, then it exits 0; on 503 or no answer, 1', async () => {
    const server = http.createServer((req, res) => res.writeHead(req.url === '/readyz' ? 200 : 503).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const probe = (url: string) => {
      const child = spawn(process.execPath, [repoPath('infra/docker/healthcheck.mjs'), url]);
      return new Promise<number | null>((resolve) => child.once('exit', resolve));
    };
    try {
      expect(await probe(`http://127.0.0.1:${port}/readyz`)).toBe(0);
      expect(await probe(`http://127.0.0.1:${port}/other`)).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await probe(`http://127.0.0.1:${port}/readyz`)).toBe(1);
  });
});

describe('infra/docker/collect-runtime.mjs', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-collect-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text = '') => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };

  it('when it collects a service, then it takes its workspace dependencies’ compiled JavaScript, Lua and SQL, and nothing else', () => {
    write('package.json', JSON.stringify({ workspaces: ['shared/*', 'services/*'] }));
    const manifest = (name: string, deps: Record<string, string>, devDeps: Record<string, string> = {}) =>
      JSON.stringify({ name, dependencies: deps, devDependencies: devDeps });
    write('shared/kit/package.json', manifest('@x/kit', { zod: '1' }));
    write('shared/testing/package.json', manifest('@x/testing', {}));
    write('services/api/package.json', manifest('@x/api', { '@x/kit': '0.1.0' }, { '@x/testing': '0.1.0' }));
    write('services/other/package.json', manifest('@x/other', {}));
    for (const file of [
      'shared/kit/dist/index.js',
      'shared/kit/dist/index.d.ts',
      'shared/kit/dist/index.js.map',
      'shared/kit/dist/.tsbuildinfo',
      'shared/kit/dist/scripts/get-1.lua',
      'shared/testing/dist/index.js',
      'services/api/dist/main.js',
      'services/api/dist/db/migrations/1_schema.sql',
      'services/other/dist/main.js',
    ]) {
      write(file, '--');
    }
    const result = spawnSync(
      process.execPath,
      [repoPath('infra/docker/collect-runtime.mjs'), 'services/api', 'out'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(result.status, result.stderr).toBe(0);
    const collected = spawnSync('find', ['.', '-type', 'f'], {
      cwd: path.join(root, 'out'),
      encoding: 'utf8',
    })
      .stdout.trim()
      .split('\n')
      .sort();
    expect(collected).toEqual([
      './services/api/dist/db/migrations/1_schema.sql',
      './services/api/dist/main.js',
      './services/api/package.json',
      './shared/kit/dist/index.js',
      './shared/kit/dist/scripts/get-1.lua',
      './shared/kit/package.json',
    ]);
  });
});
