import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** infra/kubernetes, where every kustomization lives. */
export const kubernetesRoot = path.resolve(__dirname, '../..');

/** One rendered object; the checks read it through the typed views in workloads.ts. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

/** A kustomization that CI renders, by its path under infra/kubernetes. */
export interface Kustomization {
  /** `overlays/production`, `overlays/dev/migrations`, … */
  readonly dir: string;
  /** The environment it belongs to (`dev`, `production`). */
  readonly overlay: string;
}

/** Every kustomization under overlays/: each environment's application and its migrations. */
export function overlayKustomizations(): Kustomization[] {
  const found: Kustomization[] = [];
  const overlays = path.join(kubernetesRoot, 'overlays');
  for (const overlay of fs.readdirSync(overlays).sort()) {
    const walk = (dir: string) => {
      if (fs.existsSync(path.join(overlays, dir, 'kustomization.yaml'))) {
        found.push({ dir: path.posix.join('overlays', dir), overlay });
      }
      for (const entry of fs.readdirSync(path.join(overlays, dir), { withFileTypes: true })) {
        if (entry.isDirectory()) walk(path.posix.join(dir, entry.name));
      }
    };
    walk(overlay);
  }
  return found;
}

const INSTALL_HINT =
  'kubectl ≥ 1.27 (kustomize ≥ 5) renders the manifests offline. Install it from the Kubernetes ' +
  'package repository (pkgs.k8s.io, package `kubectl`) or as the single binary from dl.k8s.io, or set ' +
  'KUBECTL to its path. Debian’s own `kubernetes-client` (1.20) is too old for these kustomizations.';

/** Where kubectl is looked for: $KUBECTL, else the one on PATH, else /usr/bin/kubectl. */
export function kubectlCandidates(): string[] {
  return [process.env.KUBECTL, 'kubectl', '/usr/bin/kubectl'].filter((c): c is string => !!c);
}

/** The first candidate that runs and is recent enough; throws with what to install otherwise. */
export function findKubectl(candidates: readonly string[] = kubectlCandidates()): string {
  for (const candidate of candidates) {
    const result = spawnSync(candidate, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    if (result.status !== 0) continue;
    const { clientVersion } = JSON.parse(result.stdout) as {
      clientVersion: { major: string; minor: string };
    };
    const minor = Number.parseInt(clientVersion.minor, 10);
    if (clientVersion.major === '1' && minor >= 27) return candidate;
    throw new Error(`${candidate} is kubectl 1.${minor}; ${INSTALL_HINT}`);
  }
  throw new Error(`kubectl not found. ${INSTALL_HINT}`);
}

/** `kubectl kustomize <dir>`, parsed; throws with kustomize's own message when it does not render. */
export function renderKustomization(kubectl: string, dir: string): K8sObject[] {
  const result = spawnSync(kubectl, ['kustomize', path.join(kubernetesRoot, dir)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${dir}: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** `Kind/name`, how every check names an object. */
export function ref(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}
