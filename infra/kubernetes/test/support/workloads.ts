import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { type K8sObject, ref } from './kustomize';

/** The rendered objects of one environment (its application and its migrations), with typed lookups. */
export class Manifests {
  constructor(readonly objects: readonly K8sObject[]) {}

  of<T>(kind: string): (T & K8sObject)[] {
    return this.objects.filter((o) => o.kind === kind) as (T & K8sObject)[];
  }

  find<T>(kind: string, name: string): (T & K8sObject) | undefined {
    return this.of<T>(kind).find((o) => o.metadata.name === name);
  }

  get deployments() {
    return this.of<IDeployment>('Deployment');
  }
  get jobs() {
    return this.of<IJob>('Job');
  }
  get services() {
    return this.of<IService>('Service');
  }
  get configMaps() {
    return this.of<IConfigMap>('ConfigMap');
  }
  get secrets() {
    return this.of<ISecret>('Secret');
  }
  get autoscalers() {
    return this.of<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
  }
  get budgets() {
    return this.of<IPodDisruptionBudget>('PodDisruptionBudget');
  }
  get networkPolicies() {
    return this.of<INetworkPolicy>('NetworkPolicy');
  }
  get ingresses() {
    return this.of<IIngress>('Ingress');
  }

  /** Every pod template the namespace runs itself (Deployments and Jobs), by its owner. */
  get workloads(): Workload[] {
    return [
      ...this.deployments.map((d) => workload(d, d.spec?.template)),
      ...this.jobs.map((j) => workload(j, j.spec?.template)),
    ];
  }
}

/** A Deployment or Job with its pod template's labels and spec. */
export interface Workload {
  readonly name: string;
  readonly ref: string;
  readonly kind: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pod: IPodSpec;
  readonly containers: readonly IContainer[];
}

function workload(
  owner: K8sObject,
  template: { metadata?: { labels?: Record<string, string> }; spec?: IPodSpec } | undefined,
): Workload {
  const pod = template?.spec ?? { containers: [] };
  return {
    name: owner.metadata.name,
    ref: ref(owner),
    kind: owner.kind,
    labels: template?.metadata?.labels ?? {},
    pod,
    containers: [...(pod.initContainers ?? []), ...pod.containers],
  };
}

/** Whether a label selector (matchLabels and `In`/`NotIn`/`Exists`/`DoesNotExist` expressions) selects `labels`. */
export function selects(
  selector:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; operator: string; values?: string[] }[];
      }
    | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    const value = labels[key] ?? '';
    if (operator === 'In' && !(has && values.includes(value))) return false;
    if (operator === 'NotIn' && has && values.includes(value)) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
