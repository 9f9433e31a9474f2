import fs from 'node:fs';
import path from 'node:path';
import { ObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import Ajv, { type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSetPersistentVolumeClaimRetentionPolicy } from 'kubernetes-models/apps/v1/StatefulSetPersistentVolumeClaimRetentionPolicy';
import { StatefulSetUpdateStrategy } from 'kubernetes-models/apps/v1/StatefulSetUpdateStrategy';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Affinity } from 'kubernetes-models/v1/Affinity';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ContainerPort } from 'kubernetes-models/v1/ContainerPort';
import { EnvVar } from 'kubernetes-models/v1/EnvVar';
import { LocalObjectReference } from 'kubernetes-models/v1/LocalObjectReference';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { NodeAffinity } from 'kubernetes-models/v1/NodeAffinity';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { PersistentVolumeClaimSpec } from 'kubernetes-models/v1/PersistentVolumeClaimSpec';
import { PodAffinity } from 'kubernetes-models/v1/PodAffinity';
import { PodAntiAffinity } from 'kubernetes-models/v1/PodAntiAffinity';
import { PodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import { Probe } from 'kubernetes-models/v1/Probe';
import { ResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import { Secret } from 'kubernetes-models/v1/Secret';
import { SecretVolumeSource } from 'kubernetes-models/v1/SecretVolumeSource';
import { SecurityContext } from 'kubernetes-models/v1/SecurityContext';
import { Service } from 'kubernetes-models/v1/Service';
import { Toleration } from 'kubernetes-models/v1/Toleration';
import { TopologySpreadConstraint } from 'kubernetes-models/v1/TopologySpreadConstraint';
import { Volume } from 'kubernetes-models/v1/Volume';
import { VolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { type K8sObject, kubernetesRoot, ref } from './kustomize';

/**
 * The Kubernetes schema every built-in object is validated against: kubernetes-models 4.5.x, generated
 * from the OpenAPI of Kubernetes v1.33.0 (its changelog). Its 5.x line (v1.36) needs Node 22.
 */
export const KUBERNETES_SCHEMA_VERSION = 'v1.33.0';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** The built-in kinds the manifests may use; any other kind without a vendored CRD schema is an error. */
const BUILT_IN: Readonly<Record<string, ModelClass>> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
};

/** Kubernetes types the operators' CRDs embed, checked by the same pinned schema (`x-kubernetes-type`). */
const EMBEDDED: Readonly<Record<string, ModelClass>> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': ObjectMeta,
  'io.k8s.api.apps.v1.StatefulSetUpdateStrategy': StatefulSetUpdateStrategy,
  'io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy':
    StatefulSetPersistentVolumeClaimRetentionPolicy,
  'io.k8s.api.core.v1.Affinity': Affinity,
  'io.k8s.api.core.v1.ContainerPort': ContainerPort,
  'io.k8s.api.core.v1.EnvVar': EnvVar,
  'io.k8s.api.core.v1.LocalObjectReference': LocalObjectReference,
  'io.k8s.api.core.v1.NodeAffinity': NodeAffinity,
  'io.k8s.api.core.v1.PersistentVolumeClaim': PersistentVolumeClaim,
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': PersistentVolumeClaimSpec,
  'io.k8s.api.core.v1.PodAffinity': PodAffinity,
  'io.k8s.api.core.v1.PodAntiAffinity': PodAntiAffinity,
  'io.k8s.api.core.v1.PodSecurityContext': PodSecurityContext,
  'io.k8s.api.core.v1.Probe': Probe,
  'io.k8s.api.core.v1.ResourceRequirements': ResourceRequirements,
  'io.k8s.api.core.v1.SecretVolumeSource': SecretVolumeSource,
  'io.k8s.api.core.v1.SecurityContext': SecurityContext,
  'io.k8s.api.core.v1.Toleration': Toleration,
  'io.k8s.api.core.v1.TopologySpreadConstraint': TopologySpreadConstraint,
  'io.k8s.api.core.v1.Volume': Volume,
  'io.k8s.api.core.v1.VolumeMount': VolumeMount,
};

/** One vendored CRD schema (infra/kubernetes/crds/*.json). */
export interface VendoredCrd {
  readonly operator: string;
  readonly operatorVersion: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly source: string;
  readonly coverage: string;
  readonly schema: object;
}

export function vendoredCrds(): VendoredCrd[] {
  const dir = path.join(kubernetesRoot, 'crds');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as VendoredCrd);
}

function modelError(error: unknown): string {
  return error instanceof Error ? error.message.replace(/^data\//, '').replace(/^data /, '') : String(error);
}

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addKeyword({ keyword: 'x-kubernetes-int-or-string', schemaType: 'boolean' });
  const embedded: SchemaValidateFunction = (type: string, data: unknown) => {
    const Model = EMBEDDED[type];
    if (!Model) throw new Error(`no Kubernetes schema for ${type}`);
    try {
      new Model(data as never).validate();
      return true;
    } catch (error) {
      embedded.errors = [
        { keyword: 'x-kubernetes-type', message: `${type}: ${modelError(error)}`, params: {} },
      ];
      return false;
    }
  };
  ajv.addKeyword({ keyword: 'x-kubernetes-type', schemaType: 'string', errors: true, validate: embedded });
  return ajv;
}

/**
 * kustomize writes long Secret values as base64 folded over several lines; the API server's decoder skips
 * the line breaks, the schema's `byte` format does not. Validate what the server would store.
 */
function asTheApiServerDecodes(object: K8sObject): K8sObject {
  const data = object.kind === 'Secret' ? (object.data as Record<string, string> | undefined) : undefined;
  if (!data) return object;
  return {
    ...object,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replace(/[\r\n]/g, '')])),
  };
}

/** Validates objects against the pinned Kubernetes schema and the vendored CRD schemas. */
export class SchemaValidator {
  readonly #crds = new Map<string, ValidateFunction>();

  constructor(crds: readonly VendoredCrd[] = vendoredCrds()) {
    const ajv = createAjv();
    for (const crd of crds)
      this.#crds.set(`${crd.group}/${crd.version}/${crd.kind}`, ajv.compile(crd.schema));
  }

  /** Every schema violation of `objects`, one line each; empty when all validate. */
  validate(objects: readonly K8sObject[]): string[] {
    const problems: string[] = [];
    for (const object of objects) {
      const key = `${object.apiVersion}/${object.kind}`;
      const builtIn = BUILT_IN[key];
      const crd = this.#crds.get(key);
      if (builtIn) {
        try {
          new builtIn(asTheApiServerDecodes(object) as never).validate();
        } catch (error) {
          problems.push(`${ref(object)}: ${modelError(error)}`);
        }
      } else if (crd) {
        if (!crd(object)) {
          for (const e of crd.errors ?? []) {
            const where = e.instancePath.replace(/^\//, '') || '(root)';
            const extra =
              e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
            problems.push(`${ref(object)}: ${where} ${e.message}${extra}`);
          }
        }
      } else {
        problems.push(`${ref(object)}: no schema for ${key} (vendor its CRD under infra/kubernetes/crds)`);
      }
    }
    return problems;
  }
}
