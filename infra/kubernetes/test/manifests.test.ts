import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDataTier } from './support/data-tier';
import {
  findKubectl,
  type K8sObject,
  kubernetesRoot,
  overlayKustomizations,
  renderKustomization,
} from './support/kustomize';
import { reachableConnections } from './support/network-reach';
import { checkReferences } from './support/reference-policy';
import { KUBERNETES_SCHEMA_VERSION, SchemaValidator, vendoredCrds } from './support/schema-validation';
import { OUT_OF_BAND_SECRETS } from './support/secrets-contract';
import { checkServiceEnv } from './support/service-env';
import { checkWorkloads } from './support/workload-policy';
import { Manifests } from './support/workloads';

// Renders every kustomization under infra/kubernetes/overlays with the machine's kubectl (no cluster, no
// network) and checks what a cluster would be asked to run: schemas, policy, references, each service's
// own config loader, the network policies' reachability, the data tier. The drift cases show each check
// naming what it catches.

/** Every connection the network policies allow, in both environments. */
const EXPECTED_CONNECTIONS = [
  // The only way in from outside, and Prometheus' scrapes.
  'ingress-nginx → gateway:8080',
  'prometheus → gateway:9080',
  'prometheus → user:8081',
  'prometheus → auth:8082',
  'prometheus → user-worker:9091',
  'prometheus → postgres:9187',
  'prometheus → redis-state:9121',
  'prometheus → redis-cache:9121',
  // Services only from the gateway; auth creates profiles through the user service.
  'gateway → user:8081',
  'gateway → auth:8082',
  'auth → user:8081',
  // The data tier, from the workloads that use it and from its operators.
  'gateway → redis-state:6379',
  'user → redis-state:6379',
  'user → redis-cache:6379',
  'user → postgres:5432',
  'user-worker → redis-state:6379',
  'user-worker → redis-cache:6379',
  'user-worker → postgres:5432',
  'auth → redis-state:6379',
  'auth → postgres:5432',
  'user-migrate → postgres:5432',
  'auth-migrate → postgres:5432',
  'cnpg-operator → postgres:8000',
  'redis-operator → redis-state:6379',
  'redis-operator → redis-cache:6379',
  'postgres → postgres:5432',
  'redis-state → redis-state:6379',
  'redis-state → redis-state:16379',
  // Traces.
  ...['gateway', 'user', 'user-worker', 'auth'].map((w) => `${w} → otel-collector:4318`),
  // The PostgreSQL instance manager talks to the API server, whose address is the cluster's own.
  ...[
    'ingress-nginx',
    'prometheus',
    'otel-collector',
    'kube-dns',
    'cnpg-operator',
    'redis-operator',
    'elsewhere',
  ].flatMap((peer) => [`postgres → ${peer}:443`, `postgres → ${peer}:6443`]),
  // Name resolution, for every pod in the namespace (a stray one gets nothing else).
  ...[
    'gateway',
    'user',
    'user-worker',
    'auth',
    'user-migrate',
    'auth-migrate',
    'postgres',
    'redis-state',
    'redis-cache',
    'stray',
  ].flatMap((pod) => [`${pod} → kube-dns:53`, `${pod} → kube-dns:53/UDP`]),
].sort();

const rendered = new Map<string, K8sObject[]>();
const manifests = (overlay: string) => new Manifests(rendered.get(overlay) ?? []);
let renderMs = 0;

beforeAll(() => {
  // Fails every test with the install hint when kubectl is missing or too old.
  const kubectl = findKubectl();
  const started = performance.now();
  for (const k of overlayKustomizations()) {
    rendered.set(k.overlay, [...(rendered.get(k.overlay) ?? []), ...renderKustomization(kubectl, k.dir)]);
  }
  renderMs = performance.now() - started;
});

describe('Kubernetes manifests, rendered offline', () => {
  it('when every kustomization is rendered, then each environment has its application and its migrations', () => {
    expect(overlayKustomizations().map((k) => k.dir)).toEqual([
      'overlays/dev',
      'overlays/dev/migrations',
      'overlays/production',
      'overlays/production/migrations',
    ]);
    for (const overlay of ['dev', 'production']) {
      const m = manifests(overlay);
      expect(m.deployments.map((d) => d.metadata.name).sort(), overlay).toEqual([
        'auth',
        'gateway',
        'user',
        'user-worker',
      ]);
      expect(m.jobs.map((j) => j.metadata.name).sort(), overlay).toEqual(['auth-migrate', 'user-migrate']);
      expect(
        m.objects.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'redwire'),
        overlay,
      ).toBe(true);
    }
    // kubectl kustomize of all four, measured for the README.
    expect(renderMs).toBeGreaterThan(0);
  });

  it(`when every object is validated against Kubernetes ${KUBERNETES_SCHEMA_VERSION} and the operators' vendored CRD schemas, then none is refused`, () => {
    const validator = new SchemaValidator();
    expect(
      vendoredCrds()
        .map((c) => `${c.group}/${c.version} ${c.kind} (${c.operator} ${c.operatorVersion})`)
        .sort(),
    ).toEqual([
      'postgresql.cnpg.io/v1 Cluster (CloudNativePG 1.30.0)',
      'redis.redis.opstreelabs.in/v1beta2 Redis (OT-Container-Kit redis-operator v0.25.0)',
      'redis.redis.opstreelabs.in/v1beta2 RedisCluster (OT-Container-Kit redis-operator v0.25.0)',
    ]);
    for (const overlay of ['dev', 'production'])
      expect(validator.validate(rendered.get(overlay) ?? []), overlay).toEqual([]);
  });

  it('when the pods are checked, then images are pinned, probes hit declared ports, requests and limits are set, containers are non-root, read-only and unprivileged, and the grace period covers preStop plus the drain', () => {
    for (const overlay of ['dev', 'production'])
      expect(checkWorkloads(manifests(overlay)), overlay).toEqual([]);
  });

  it('when references are checked, then every Deployment has a PDB, an HPA on CPU and a NetworkPolicy, and every Service, Ingress, ConfigMap, Secret and $(VAR) they name exists', () => {
    for (const overlay of ['dev', 'production'])
      expect(checkReferences(manifests(overlay)), overlay).toEqual([]);
  });

  it('when each workload’s environment is loaded by its service’s own config, then dev and production (state Redis as REDIS_CLUSTER_NODES) load whole', () => {
    expect(checkServiceEnv(manifests('dev'))).toEqual([]);
    expect(checkServiceEnv(manifests('production'))).toEqual([]);
  });

  it('when the network policies are evaluated, then exactly the intended connections are allowed: only the gateway from outside, services only from the gateway, the data tier only from its users', () => {
    for (const overlay of ['dev', 'production']) {
      expect(reachableConnections(manifests(overlay)).sort(), overlay).toEqual(EXPECTED_CONNECTIONS);
    }
  });

  it('when the data tier is checked, then the operators’ resources are pinned and bounded, each Redis role keeps infra/redis’ settings, and every workload connects as its own user', () => {
    for (const overlay of ['dev', 'production'])
      expect(checkDataTier(manifests(overlay)), overlay).toEqual([]);
  });

  it('when production is rendered, then the state Redis is a 3 × 1 Redis Cluster, PostgreSQL has synchronous replicas, and every workload runs at least twice', () => {
    const m = manifests('production');
    const state = m.find<{ spec: Record<string, { replicas?: number } | number> }>(
      'RedisCluster',
      'redis-state',
    );
    expect(state?.spec).toMatchObject({
      clusterSize: 3,
      redisLeader: { replicas: 3 },
      redisFollower: { replicas: 3 },
    });
    const pg = m.find<{ spec: { instances: number; postgresql: { synchronous?: object } } }>(
      'Cluster',
      'redwire-postgres',
    );
    expect(pg?.spec.instances).toBe(3);
    expect(pg?.spec.postgresql.synchronous).toMatchObject({
      method: 'any',
      number: 1,
      dataDurability: 'required',
    });
    for (const hpa of m.autoscalers)
      expect(hpa.spec?.minReplicas, hpa.metadata.name).toBeGreaterThanOrEqual(2);
    const dev = manifests('dev');
    expect(dev.find<{ spec: { instances: number } }>('Cluster', 'redwire-postgres')?.spec.instances).toBe(1);
    expect(dev.of('RedisCluster')).toEqual([]);
    expect(dev.find('Redis', 'redis-state')).toBeDefined();
  });

  it('when production is rendered, then it carries no Secret and no development value, and dev generates exactly the Secrets production creates out of band', () => {
    const production = manifests('production');
    expect(production.secrets).toEqual([]);
    expect(JSON.stringify(production.objects)).not.toMatch(/dev-only-|ALLOW_DEV_SECRETS/);
    const dev = manifests('dev');
    const generated = Object.fromEntries(
      dev.secrets.map((s) => [s.metadata.name, Object.keys(s.data ?? {}).sort()]),
    );
    expect(generated).toEqual(
      Object.fromEntries(Object.entries(OUT_OF_BAND_SECRETS).map(([n, k]) => [n, [...k].sort()])),
    );
    for (const file of ['redis-admin.env', 'redis-passwords.env', 'identity.env']) {
      for (const value of Object.values(devEnv(file))) expect(value).toContain('dev-only-');
    }
  });

  it('when the Redis ACLs are read, then each service user keeps infra/redis’ rules (plus the cluster commands in production), default is on for the operator only, and dev’s hashes are of dev’s passwords', () => {
    const passwords = { ...devEnv('redis-admin.env'), ...devEnv('redis-passwords.env') };
    for (const [overlay, role, reference] of [
      ['dev', 'state', 'users.acl'],
      ['dev', 'cache', 'users-cache.acl'],
      ['production', 'state', 'users.acl'],
      ['production', 'cache', 'users-cache.acl'],
    ] as const) {
      const file = path.join(kubernetesRoot, 'overlays', overlay, 'redis-acl', `${role}.acl`);
      const own = aclUsers(fs.readFileSync(file, 'utf8'));
      const upstream = aclUsers(fs.readFileSync(path.join(kubernetesRoot, '../redis', reference), 'utf8'));
      expect(own.get('default')?.rules, file).toBe('on ~* &* +@all');
      expect(own.has('healthcheck'), file).toBe(false);
      for (const [user, { rules }] of upstream) {
        // Compose only: its health check, and the `tools` profile's read-only browser user.
        if (user === 'default' || user === 'healthcheck' || user === 'tools') continue;
        const cluster = overlay === 'production' && role === 'state';
        const want = cluster
          ? rules.replace(' +info ', ' +info +cluster|slots +cluster|shards +readonly ')
          : rules;
        expect(own.get(user)?.rules, `${file} ${user}`).toBe(want);
      }
      for (const [user, { hash }] of own) {
        const password = passwords[`REDIS_${user.toUpperCase()}_PASSWORD`] ?? '';
        expect(hash, `${file} ${user}`).toBe(createHash('sha256').update(password).digest('hex'));
      }
      // The file is what set-acl-passwords makes of it: production regenerates it the same way.
      const regenerated = spawnSync(
        process.execPath,
        [path.join(kubernetesRoot, '../redis/set-acl-passwords.mjs'), file],
        {
          env: { PATH: process.env.PATH, ...passwords },
          encoding: 'utf8',
        },
      );
      expect(regenerated.stdout, file).toBe(fs.readFileSync(file, 'utf8'));
    }
    const devAcl = manifests('dev').find<{ data: Record<string, string> }>(
      'Secret',
      'redwire-redis-state-acl',
    );
    const decoded = Buffer.from((devAcl?.data['user.acl'] ?? '').replace(/\s/g, ''), 'base64').toString(
      'utf8',
    );
    expect(decoded).toBe(
      fs.readFileSync(path.join(kubernetesRoot, 'overlays/dev/redis-acl/state.acl'), 'utf8'),
    );
  });

  it('when the migration Jobs are compared with the Deployments, then each runs its service’s image of the same release', () => {
    for (const overlay of ['dev', 'production']) {
      const m = manifests(overlay);
      for (const [job, deployment] of [
        ['user-migrate', 'user'],
        ['auth-migrate', 'auth'],
      ] as const) {
        const jobImage = m.workloads.find((w) => w.name === job)?.containers[0]?.image;
        const appImage = m.workloads.find((w) => w.name === deployment)?.containers[0]?.image;
        expect(jobImage, `${overlay} ${job}`).toBe(appImage);
      }
    }
  });
});

describe('Kubernetes manifest checks, on drifted copies', () => {
  type Drift = [string, string, (objects: K8sObject[]) => void, (m: Manifests) => string[], string];
  const container = (objects: K8sObject[], name: string) => {
    const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as unknown as {
      spec: {
        template: { spec: { containers: Record<string, unknown>[]; terminationGracePeriodSeconds?: number } };
      };
    };
    const c = d.spec.template.spec.containers[0];
    if (!c) throw new Error(`no container in ${name}`);
    return {
      pod: d.spec.template.spec,
      c: c as Record<string, unknown> & {
        env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string } } }[];
      },
    };
  };
  const object = (objects: K8sObject[], kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`no ${kind}/${name}`);
    return found as K8sObject & { spec: Record<string, unknown>; data: Record<string, string> };
  };
  const remove = (objects: K8sObject[], kind: string, name: string) =>
    objects.splice(objects.indexOf(object(objects, kind, name)), 1);
  const validator = () => new SchemaValidator();

  it.each<Drift>([
    [
      'an image is unpinned',
      'dev',
      (o) => {
        container(o, 'gateway').c.image = 'redwire/gateway:latest';
      },
      checkWorkloads,
      'Deployment/gateway container gateway: image redwire/gateway:latest is not pinned by tag or digest',
    ],
    [
      'a probe names a port the container lacks',
      'dev',
      (o) => {
        (container(o, 'gateway').c.readinessProbe as { httpGet: { port: string } }).httpGet.port = 'admim';
      },
      checkWorkloads,
      'Deployment/gateway container gateway: readinessProbe probes port admim, which the container does not declare',
    ],
    [
      'a container may write its root filesystem',
      'production',
      (o) => {
        (container(o, 'auth').c.securityContext as Record<string, unknown>).readOnlyRootFilesystem = false;
      },
      checkWorkloads,
      'Deployment/auth container auth: readOnlyRootFilesystem must be true',
    ],
    [
      'the grace period no longer covers the drain',
      'dev',
      (o) => {
        container(o, 'user').pod.terminationGracePeriodSeconds = 20;
      },
      checkWorkloads,
      'Deployment/user: terminationGracePeriodSeconds 20 < preStop 5 s + drain 25 s',
    ],
    [
      'a Deployment loses its PDB',
      'production',
      (o) => {
        remove(o, 'PodDisruptionBudget', 'user');
      },
      checkReferences,
      'Deployment/user: no PodDisruptionBudget selects its pods',
    ],
    [
      'a Deployment loses its NetworkPolicy',
      'dev',
      (o) => {
        remove(o, 'NetworkPolicy', 'auth');
      },
      checkReferences,
      'Deployment/auth: no NetworkPolicy of its own selects its pods',
    ],
    [
      'an HPA targets a missing Deployment',
      'dev',
      (o) => {
        (object(o, 'HorizontalPodAutoscaler', 'auth').spec.scaleTargetRef as { name: string }).name = 'authn';
      },
      checkReferences,
      'HorizontalPodAutoscaler/auth: targets Deployment/authn, which does not exist',
    ],
    [
      'a variable is expanded before it is defined',
      'dev',
      (o) => {
        const { c } = container(o, 'gateway');
        c.env.reverse();
      },
      checkReferences,
      'Deployment/gateway container gateway: REDIS_URL refers to $(REDIS_GATEWAY_PASSWORD) before it is defined',
    ],
    [
      'a Secret key is misspelt',
      'production',
      (o) => {
        const ref = container(o, 'auth').c.env.find((e) => e.name === 'REDIS_AUTH_PASSWORD')?.valueFrom
          ?.secretKeyRef;
        if (ref) ref.key = 'REDIS_AUTH_PASSWD';
      },
      checkReferences,
      'Deployment/auth container auth: REDIS_AUTH_PASSWORD reads Secret redwire-redis-passwords key REDIS_AUTH_PASSWD, which does not exist',
    ],
    [
      'a setting is misspelt',
      'dev',
      (o) => {
        (
          object(o, 'ConfigMap', configMapName(o, 'redwire-gateway')).data as Record<string, string>
        ).SESSION_CACHE_TTLL = '500';
      },
      checkServiceEnv,
      'gateway: sets SESSION_CACHE_TTLL, which its config does not read',
    ],
    [
      'dev’s secrets run with NODE_ENV=production',
      'dev',
      (o) => {
        (
          object(o, 'ConfigMap', configMapName(o, 'redwire-run-mode')).data as Record<string, string>
        ).NODE_ENV = 'production';
      },
      checkServiceEnv,
      'gateway: IDENTITY_SIGNING_KEY still has a development value',
    ],
    [
      'a Service targets a port no container declares',
      'dev',
      (o) => {
        (
          (object(o, 'Service', 'user').spec.ports as { targetPort: string }[])[0] as { targetPort: string }
        ).targetPort = 'web';
      },
      checkReferences,
      'Service/user: targets port web, which Deployment/user does not declare',
    ],
    [
      'the state Redis may evict',
      'dev',
      (o) => {
        const cm = object(o, 'ConfigMap', 'redis-state-config').data as Record<string, string>;
        cm['redis-additional.conf'] = (cm['redis-additional.conf'] ?? '').replace(
          /^maxmemory-policy noeviction$/m,
          'maxmemory-policy allkeys-lru',
        );
      },
      checkDataTier,
      'Redis/redis-state: maxmemory-policy is allkeys-lru, infra/redis/redis-state.conf has noeviction',
    ],
    [
      'a service uses another’s Redis user',
      'dev',
      (o) => {
        const e = container(o, 'auth').c.env.find((v) => v.name === 'REDIS_URL');
        if (e) e.value = 'redis://user:$(REDIS_AUTH_PASSWORD)@redis-state:6379';
      },
      checkDataTier,
      'auth: authenticates to Redis as "user", not auth',
    ],
    [
      'a custom resource has a misspelt field',
      'production',
      (o) => {
        const leader = (object(o, 'RedisCluster', 'redis-state').spec.redisLeader ?? {}) as Record<
          string,
          unknown
        >;
        leader.replica = leader.replicas;
        delete leader.replicas;
      },
      (m) => validator().validate([...m.objects]),
      'RedisCluster/redis-state: spec/redisLeader must NOT have additional properties (replica)',
    ],
    [
      'a built-in object has a wrong type',
      'dev',
      (o) => {
        (
          (container(o, 'user').c.ports as { containerPort: unknown }[])[0] as { containerPort: unknown }
        ).containerPort = '8081';
      },
      (m) => validator().validate([...m.objects]),
      'Deployment/user: spec/template/spec/containers/0/ports/0/containerPort must be integer',
    ],
    [
      'the user HPA may outgrow PostgreSQL’s connections',
      'production',
      (o) => {
        object(o, 'HorizontalPodAutoscaler', 'user').spec.maxReplicas = 30;
      },
      checkDataTier,
      "Cluster/redwire-postgres: the HPAs' maxima open 396 pool connections (8 auth × 10 + 30 user × 10 + 4 user-worker × 4), max_connections 300 leaves 290",
    ],
  ])('when %s, then the check names it', (_, overlay, mutate, check, expected) => {
    const objects = structuredClone(rendered.get(overlay) ?? []);
    mutate(objects);
    expect(check(new Manifests(objects))).toContain(expected);
  });

  it('when a policy admits the gateway from anywhere, then the reachability check shows a connection from outside', () => {
    const objects = structuredClone(rendered.get('production') ?? []);
    const gateway = object(objects, 'NetworkPolicy', 'gateway').spec as { ingress: { from?: unknown }[] };
    delete gateway.ingress[0]?.from;
    expect(reachableConnections(new Manifests(objects))).toContain('elsewhere → gateway:8080');
  });
});

describe('finding kubectl', () => {
  it('when no kubectl can be run, then the error says what to install and where', () => {
    expect(() => findKubectl([path.join(os.tmpdir(), 'no-such-dir', 'kubectl')])).toThrow(
      /kubectl not found\. kubectl ≥ 1\.27 .*pkgs\.k8s\.io.*KUBECTL/,
    );
  });

  it('when the kubectl found is older than 1.27, then the error names its version and the minimum', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-'));
    const fake = path.join(dir, 'kubectl');
    // Debian's kubernetes-client is 1.20: too old for these kustomizations.
    fs.writeFileSync(fake, `#!/bin/sh\necho '{"clientVersion":{"major":"1","minor":"20"}}'\n`, {
      mode: 0o755,
    });
    try {
      expect(() => findKubectl([fake])).toThrow(/is kubectl 1\.20; kubectl ≥ 1\.27/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function configMapName(objects: K8sObject[], prefix: string): string {
  const found = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${prefix}-`));
  if (!found) throw new Error(`no ConfigMap ${prefix}-<hash>`);
  return found.metadata.name;
}

function devEnv(file: string): Record<string, string> {
  const parsed = parseEnv(fs.readFileSync(path.join(kubernetesRoot, 'overlays/dev/secrets', file), 'utf8'));
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => e[1] !== undefined));
}

function aclUsers(text: string): Map<string, { rules: string; hash: string }> {
  const users = new Map<string, { rules: string; hash: string }>();
  for (const line of text.split('\n')) {
    const match = /^user (\S+) (.*?)#([0-9a-f]{64}) ?(.*)$/.exec(line);
    if (match)
      users.set(match[1] ?? '', { rules: `${match[2] ?? ''}${match[4] ?? ''}`.trim(), hash: match[3] ?? '' });
    else if (line.startsWith('user '))
      users.set(line.split(' ')[1] ?? '', { rules: line.split(' ').slice(2).join(' '), hash: '' });
  }
  return users;
}
