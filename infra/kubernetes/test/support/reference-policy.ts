import type { IContainer } from 'kubernetes-models/v1/Container';
import { OPERATOR_SECRETS, OUT_OF_BAND_SECRETS, TLS_SECRETS } from './secrets-contract';
import type { Manifests, Workload } from './workloads';
import { selects } from './workloads';

/** Keys of a Secret: rendered, else one created out of band (production) or by an operator. */
export function secretKeys(m: Manifests, name: string): readonly string[] | undefined {
  const rendered = m.find<{ data?: Record<string, string> }>('Secret', name);
  if (rendered) return Object.keys(rendered.data ?? {});
  return OUT_OF_BAND_SECRETS[name] ?? TLS_SECRETS[name] ?? OPERATOR_SECRETS[name];
}

/**
 * Cross-references: every Deployment has a disruption budget and every pod a network policy of its own;
 * autoscalers, Services and the Ingress point at things that exist, on ports that exist; every ConfigMap
 * and Secret key a container reads exists; `$(VAR)` references name an earlier variable (else Kubernetes
 * leaves the text as it is).
 */
export function checkReferences(m: Manifests): string[] {
  const problems: string[] = [];
  const deny = m.networkPolicies.find(
    (p) =>
      Object.keys(p.spec?.podSelector ?? {}).length === 0 &&
      (p.spec?.policyTypes ?? []).length === 2 &&
      !p.spec?.ingress &&
      !p.spec?.egress,
  );
  if (m.deployments.length > 0 && !deny) problems.push('no default-deny NetworkPolicy (ingress and egress)');
  for (const w of m.workloads) {
    if (w.kind === 'Deployment' && !m.budgets.some((b) => selects(b.spec?.selector, w.labels))) {
      problems.push(`${w.ref}: no PodDisruptionBudget selects its pods`);
    }
    const own = m.networkPolicies.filter(
      (p) => Object.keys(p.spec?.podSelector ?? {}).length > 0 && selects(p.spec?.podSelector, w.labels),
    );
    if (own.length === 0) problems.push(`${w.ref}: no NetworkPolicy of its own selects its pods`);
    for (const c of w.containers) problems.push(...checkEnv(m, w, c));
    problems.push(...checkSecretVolumes(m, w));
  }
  for (const hpa of m.autoscalers) {
    const target = hpa.spec?.scaleTargetRef;
    if (target?.kind !== 'Deployment' || !m.find('Deployment', target.name)) {
      problems.push(
        `HorizontalPodAutoscaler/${hpa.metadata.name}: targets ${target?.kind}/${target?.name}, which does not exist`,
      );
    }
    if (!hpa.spec?.metrics?.some((x) => x.type === 'Resource' && x.resource?.name === 'cpu')) {
      problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: does not scale on CPU`);
    }
  }
  for (const d of m.deployments) {
    if (!m.autoscalers.some((h) => h.spec?.scaleTargetRef.name === d.metadata.name)) {
      problems.push(`Deployment/${d.metadata.name}: no HorizontalPodAutoscaler`);
    }
  }
  for (const s of m.services) {
    const backends = m.workloads.filter(
      (w) => w.kind === 'Deployment' && selects({ matchLabels: s.spec?.selector }, w.labels),
    );
    if (backends.length === 0) problems.push(`Service/${s.metadata.name}: selects no Deployment`);
    for (const port of s.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const w of backends) {
        if (
          !w.containers.some((c) => c.ports?.some((p) => p.name === target || p.containerPort === target))
        ) {
          problems.push(
            `Service/${s.metadata.name}: targets port ${target}, which ${w.ref} does not declare`,
          );
        }
      }
    }
  }
  for (const ing of m.ingresses) {
    for (const rule of ing.spec?.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        const backend = p.backend.service;
        const service = m.services.find((s) => s.metadata.name === backend?.name);
        const port = backend?.port?.name ?? backend?.port?.number;
        if (!service)
          problems.push(
            `Ingress/${ing.metadata.name}: routes to Service ${backend?.name}, which does not exist`,
          );
        else if (!service.spec?.ports?.some((sp) => sp.name === port || sp.port === port)) {
          problems.push(
            `Ingress/${ing.metadata.name}: routes to port ${port}, which Service/${service.metadata.name} lacks`,
          );
        }
      }
    }
    for (const tls of ing.spec?.tls ?? []) {
      if (tls.secretName && !secretKeys(m, tls.secretName)) {
        problems.push(
          `Ingress/${ing.metadata.name}: TLS Secret ${tls.secretName} is neither rendered nor documented`,
        );
      }
    }
  }
  return problems;
}

function checkEnv(m: Manifests, w: Workload, c: IContainer): string[] {
  const problems: string[] = [];
  const where = `${w.ref} container ${c.name}`;
  const defined = new Set<string>();
  for (const from of c.envFrom ?? []) {
    const name = from.configMapRef?.name ?? from.secretRef?.name ?? '';
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const source = m.find<{ data?: Record<string, string> }>(kind, name);
    if (!source && !(kind === 'Secret' && secretKeys(m, name)))
      problems.push(`${where}: envFrom ${kind} ${name} does not exist`);
    for (const key of Object.keys(source?.data ?? {})) defined.add(key);
  }
  for (const e of c.env ?? []) {
    for (const [, name] of (e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
      if (!defined.has(name ?? ''))
        problems.push(`${where}: ${e.name} refers to $(${name}) before it is defined`);
    }
    const cm = e.valueFrom?.configMapKeyRef;
    if (
      cm &&
      !Object.hasOwn(
        m.find<{ data?: Record<string, string> }>('ConfigMap', cm.name ?? '')?.data ?? {},
        cm.key,
      )
    ) {
      problems.push(`${where}: ${e.name} reads ConfigMap ${cm.name} key ${cm.key}, which does not exist`);
    }
    const secret = e.valueFrom?.secretKeyRef;
    if (secret && !secretKeys(m, secret.name ?? '')?.includes(secret.key)) {
      problems.push(
        `${where}: ${e.name} reads Secret ${secret.name} key ${secret.key}, which does not exist`,
      );
    }
    defined.add(e.name);
  }
  return problems;
}

function checkSecretVolumes(m: Manifests, w: Workload): string[] {
  const problems: string[] = [];
  for (const v of w.pod.volumes ?? []) {
    if (!v.secret) continue;
    const keys = secretKeys(m, v.secret.secretName ?? '');
    if (!keys)
      problems.push(`${w.ref}: volume ${v.name} mounts Secret ${v.secret.secretName}, which does not exist`);
    for (const item of v.secret.items ?? []) {
      if (keys && !keys.includes(item.key))
        problems.push(`${w.ref}: volume ${v.name} needs key ${item.key} of ${v.secret.secretName}`);
    }
  }
  return problems;
}
