import fs from 'node:fs';
import path from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { parse } from 'yaml';
import { SERVICE_CONTRACTS } from '../../../compose/test/support/service-contracts';
import type { Manifests, Workload } from './workloads';
import { selects } from './workloads';

const PRELOAD = '/app/shared/observability/dist/preload.js';
const PINNED_IMAGE = /^[^\s:@]+(?::(?<tag>[\w][\w.-]{0,127}))?(?:@sha256:[0-9a-f]{64})?$/;

/** What docker-compose.yml gives a Node service between SIGTERM and SIGKILL (x-node's stop_grace_period). */
export function composeStopGraceSeconds(): number {
  const compose = parse(fs.readFileSync(path.resolve(__dirname, '../../../../docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as { services: Record<string, { stop_grace_period?: string }> };
  const period = compose.services.gateway?.stop_grace_period ?? '';
  const seconds = /^(\d+)s$/.exec(period)?.[1];
  if (!seconds) throw new Error(`docker-compose.yml: gateway stop_grace_period "${period}" is not N s`);
  return Number(seconds);
}

/** Whether `image` is pinned: a version tag (never `latest`) or a digest. */
export function isPinned(image: string | undefined): boolean {
  const match = image ? PINNED_IMAGE.exec(image) : null;
  if (!match || !image) return false;
  return image.includes('@sha256:') || (match.groups?.tag !== undefined && match.groups.tag !== 'latest');
}

/**
 * The rules every redwire pod follows: pinned images, the entry point compose runs, probes on ports the
 * container declares, requests and limits, non-root read-only containers without privileges or a service
 * account token, and a termination grace that covers the services' drain. One line per violation.
 */
export function checkWorkloads(m: Manifests): string[] {
  const problems: string[] = [];
  const graceNeeded = composeStopGraceSeconds();
  for (const w of m.workloads) {
    problems.push(...checkPod(w));
    for (const c of w.containers) problems.push(...checkContainer(w, c));
    problems.push(...checkEntryPoint(w));
    if (w.kind === 'Deployment') problems.push(...checkTermination(m, w, graceNeeded));
  }
  for (const hpa of m.autoscalers) {
    const target = m.find<{ spec?: { replicas?: number } }>(
      'Deployment',
      hpa.spec?.scaleTargetRef.name ?? '',
    );
    if (target?.spec?.replicas !== undefined) {
      problems.push(
        `Deployment/${target.metadata.name}: sets replicas, which its HPA owns (apply would reset it)`,
      );
    }
  }
  return problems;
}

function checkPod(w: Workload): string[] {
  const problems: string[] = [];
  const sc = w.pod.securityContext;
  if (sc?.runAsNonRoot !== true) problems.push(`${w.ref}: pod must set runAsNonRoot: true`);
  if (sc?.runAsUser === undefined || sc.runAsUser === 0)
    problems.push(`${w.ref}: pod must run as a non-zero runAsUser`);
  if (sc?.seccompProfile?.type !== 'RuntimeDefault')
    problems.push(`${w.ref}: pod seccompProfile must be RuntimeDefault`);
  if (w.pod.automountServiceAccountToken !== false) {
    problems.push(
      `${w.ref}: automountServiceAccountToken must be false (no service talks to the API server)`,
    );
  }
  if (w.pod.hostNetwork || w.pod.hostPID || w.pod.hostIPC)
    problems.push(`${w.ref}: must not share host namespaces`);
  return problems;
}

function checkContainer(w: Workload, c: IContainer): string[] {
  const problems: string[] = [];
  const where = `${w.ref} container ${c.name}`;
  if (!isPinned(c.image)) problems.push(`${where}: image ${c.image} is not pinned by tag or digest`);
  for (const kind of ['requests', 'limits'] as const) {
    for (const resource of ['cpu', 'memory']) {
      if (c.resources?.[kind]?.[resource] === undefined) problems.push(`${where}: no ${resource} ${kind}`);
    }
  }
  const sc = c.securityContext;
  if (sc?.allowPrivilegeEscalation !== false)
    problems.push(`${where}: allowPrivilegeEscalation must be false`);
  if (sc?.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem must be true`);
  if (!sc?.capabilities?.drop?.includes('ALL')) problems.push(`${where}: must drop ALL capabilities`);
  if (sc?.privileged === true) problems.push(`${where}: must not be privileged`);
  if (sc?.runAsUser === 0) problems.push(`${where}: must not run as root`);
  const tmp = c.volumeMounts?.find((v) => v.mountPath === '/tmp');
  const tmpVolume = w.pod.volumes?.find((v) => v.name === tmp?.name);
  if (!tmpVolume?.emptyDir) problems.push(`${where}: needs a writable /tmp (emptyDir) on a read-only root`);
  if (w.kind === 'Deployment') {
    for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
      const spec = c[probe];
      if (!spec) {
        problems.push(`${where}: no ${probe}`);
        continue;
      }
      const port = spec.httpGet?.port ?? spec.tcpSocket?.port;
      if (port === undefined) problems.push(`${where}: ${probe} must probe an HTTP or TCP port`);
      else if (!c.ports?.some((p) => p.name === port || p.containerPort === port)) {
        problems.push(`${where}: ${probe} probes port ${port}, which the container does not declare`);
      }
    }
  }
  return problems;
}

function checkEntryPoint(w: Workload): string[] {
  const contract = SERVICE_CONTRACTS.find((c) => c.compose === w.name);
  if (!contract)
    return [`${w.ref}: no service contract (infra/compose/test/support/service-contracts.ts) names it`];
  const [container] = w.containers;
  const want =
    contract.entry === 'dist/migrate.js'
      ? ['node', contract.entry]
      : ['node', '--require', PRELOAD, contract.entry];
  const problems: string[] = [];
  if (JSON.stringify(container?.command) !== JSON.stringify(want)) {
    problems.push(`${w.ref}: runs ${JSON.stringify(container?.command)}, must run ${JSON.stringify(want)}`);
  }
  if (!new RegExp(`(^|/)redwire/${contract.image}[:@]`).test(container?.image ?? '')) {
    problems.push(`${w.ref}: image ${container?.image} is not redwire/${contract.image}`);
  }
  return problems;
}

/** SIGTERM comes after preStop; both must fit in the grace period with the drain compose allows for. */
function checkTermination(m: Manifests, w: Workload, drainSeconds: number): string[] {
  const problems: string[] = [];
  const served = m.services.some((s) => selects({ matchLabels: s.spec?.selector }, w.labels));
  const container = w.containers[0];
  const sleep = container?.lifecycle?.preStop?.sleep?.seconds ?? 0;
  if (served && sleep < 1) {
    problems.push(`${w.ref}: behind a Service, needs a preStop sleep so endpoints go before SIGTERM drains`);
  }
  const grace = w.pod.terminationGracePeriodSeconds ?? 30;
  if (grace < sleep + drainSeconds) {
    problems.push(
      `${w.ref}: terminationGracePeriodSeconds ${grace} < preStop ${sleep} s + drain ${drainSeconds} s`,
    );
  }
  return problems;
}
