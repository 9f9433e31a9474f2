import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import type { Manifests } from './workloads';
import { selects } from './workloads';

/** A pod, in the namespace or outside it, as network policies see it. */
export interface Endpoint {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The pods the operators run for the data tier, by the labels the network policies select them with. */
const DATA_PODS: readonly Endpoint[] = [
  { name: 'postgres', namespace: 'redwire', labels: { 'cnpg.io/cluster': 'redwire-postgres' } },
  { name: 'redis-state', namespace: 'redwire', labels: { 'redwire.dev/redis': 'state' } },
  { name: 'redis-cache', namespace: 'redwire', labels: { 'redwire.dev/redis': 'cache' } },
];

/** Pods outside the namespace that the policies mention, and one they do not (`elsewhere`). */
const OUTSIDE: readonly Endpoint[] = [
  {
    name: 'ingress-nginx',
    namespace: 'ingress-nginx',
    labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
  },
  { name: 'prometheus', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } },
  {
    name: 'otel-collector',
    namespace: 'observability',
    labels: { 'app.kubernetes.io/name': 'opentelemetry-collector' },
  },
  { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
  { name: 'cnpg-operator', namespace: 'cnpg-system', labels: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
  { name: 'redis-operator', namespace: 'ot-operators', labels: { name: 'redis-operator' } },
  { name: 'elsewhere', namespace: 'elsewhere', labels: { 'app.kubernetes.io/name': 'anything' } },
];

/** Every port the stack or its neighbours listen on, and the DNS port. */
const PORTS: readonly [string, number][] = [
  ...[8080, 9080, 8081, 8082, 9091, 5432, 8000, 9187, 6379, 16379, 9121, 4318, 443, 6443, 53].map(
    (p): [string, number] => ['TCP', p],
  ),
  ['UDP', 53],
];

function peerMatches(peer: INetworkPolicyPeer, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) return other.namespace !== policyNamespace;
  if (peer.namespaceSelector) {
    const nsLabels = { 'kubernetes.io/metadata.name': other.namespace };
    const nsOk =
      Object.keys(peer.namespaceSelector).length === 0 || selects(peer.namespaceSelector, nsLabels);
    return (
      nsOk &&
      (!peer.podSelector ||
        Object.keys(peer.podSelector).length === 0 ||
        selects(peer.podSelector, other.labels))
    );
  }
  return (
    other.namespace === policyNamespace &&
    (Object.keys(peer.podSelector ?? {}).length === 0 || selects(peer.podSelector, other.labels))
  );
}

function portMatches(ports: INetworkPolicyPort[] | undefined, [protocol, port]: [string, number]): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port));
}

/** Whether the policies let traffic leave `from` (egress) or reach `to` (ingress) on `port`. */
function allowed(
  policies: readonly INetworkPolicy[],
  direction: 'Ingress' | 'Egress',
  self: Endpoint,
  other: Endpoint,
  port: [string, number],
): boolean {
  const namespace = 'redwire';
  if (self.namespace !== namespace) return true; // other namespaces' policies are not ours to check
  const applying = policies.filter(
    (p) =>
      (p.spec?.policyTypes ?? ['Ingress']).includes(direction) &&
      (Object.keys(p.spec?.podSelector ?? {}).length === 0 || selects(p.spec?.podSelector, self.labels)),
  );
  if (applying.length === 0) return true;
  return applying.some((p) =>
    (direction === 'Ingress' ? p.spec?.ingress : p.spec?.egress)?.some((rule) => {
      const peers = 'from' in rule ? rule.from : 'to' in rule ? rule.to : undefined;
      return (
        (!peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, namespace, other))) &&
        portMatches(rule.ports, port)
      );
    }),
  );
}

/**
 * Every connection the network policies allow, as `from → to:port[/UDP]` lines, among the namespace's
 * workloads, the operators' data pods and the outside pods above. Traffic needs both the sender's egress
 * and the receiver's ingress; a pod outside the namespace is not restricted here.
 */
export function reachableConnections(m: Manifests): string[] {
  const inside: Endpoint[] = [
    ...m.workloads.map((w) => ({ name: w.name, namespace: 'redwire', labels: w.labels })),
    ...DATA_PODS,
    // Any other pod started in the namespace (a debug pod, a forgotten Job): only the defaults apply.
    { name: 'stray', namespace: 'redwire', labels: { run: 'debug' } },
  ];
  const everyone = [...inside, ...OUTSIDE];
  const policies = m.networkPolicies;
  const lines: string[] = [];
  for (const from of everyone) {
    for (const to of everyone) {
      if (from.namespace !== 'redwire' && to.namespace !== 'redwire') continue;
      if (from === to && from.namespace !== 'redwire') continue;
      for (const port of PORTS) {
        if (allowed(policies, 'Egress', from, to, port) && allowed(policies, 'Ingress', to, from, port)) {
          lines.push(`${from.name} → ${to.name}:${port[1]}${port[0] === 'UDP' ? '/UDP' : ''}`);
        }
      }
    }
  }
  return lines;
}
