import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { HELM } from '../setup/required-tools.js';
import { tempDir } from '../support/temp.js';

// The Helm chart, rendered by a real `helm template` and read back as Kubernetes objects.

const CHART = join(import.meta.dirname, '..', '..', 'charts', 'lambdastack-autoscaler');
const REQUIRED = ['github.repository=example/cluster-config', 'github.token.existingSecret=github-token'];

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

// helm's own folders, away from the user's: removed when the file's tests end.
let helmHome = '';
beforeAll(async () => {
  helmHome = await tempDir('lsa-helm-');
});

async function render(
  sets: string[] = [],
  values?: string,
  chart = CHART,
): Promise<{ exitCode: number; manifests: Manifest[]; stderr: string }> {
  const args = ['template', 'rel', chart, '--namespace', 'autoscaler', ...[...REQUIRED, ...sets].flatMap((s) => ['--set', s])];
  const result = await execa(HELM, values === undefined ? args : [...args, '-f', '-'], {
    reject: false,
    env: { HELM_CACHE_HOME: helmHome, HELM_CONFIG_HOME: helmHome, HELM_DATA_HOME: helmHome },
    ...(values === undefined ? {} : { input: values }),
  });
  const manifests =
    result.exitCode === 0
      ? parseAllDocuments(result.stdout)
          .map((doc) => doc.toJS() as Manifest)
          .filter(Boolean)
      : [];
  return { exitCode: result.exitCode ?? -1, manifests, stderr: result.stderr };
}

const byKind = (manifests: Manifest[], kind: string): Manifest[] => manifests.filter((m) => m.kind === kind);

// biome-ignore lint/suspicious/noExplicitAny: a rendered manifest is read by its known shape
type Any = any;

describe('the Helm chart', () => {
  it('renders a ServiceAccount, a read-only ClusterRole and its binding, a Deployment and a Service', async () => {
    const { exitCode, manifests, stderr } = await render();
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service', 'ServiceAccount']);
  });

  it('grants only get, list and watch, on nodes, pods, PodDisruptionBudgets and metrics; never secrets', async () => {
    const [role] = byKind((await render()).manifests, 'ClusterRole') as Any[];
    const rules = role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    for (const rule of rules)
      expect(
        rule.verbs.every((verb) => ['get', 'list', 'watch'].includes(verb)),
        JSON.stringify(rule),
      ).toBe(true);
    expect(rules.flatMap((r) => r.resources).sort()).toEqual(['nodes', 'nodes', 'poddisruptionbudgets', 'pods', 'pods']);
    expect(JSON.stringify(rules)).not.toMatch(/secrets|\*/);
  });

  it('runs the watcher locked down: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', async () => {
    const [deployment] = byKind((await render()).manifests, 'Deployment') as Any[];
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
  });

  it('passes the config path and the repository, and the token only by reference to a Secret', async () => {
    const { manifests } = await render(['watcher.config=cluster-config/aws-demo.yml', 'watcher.interval=30']);
    const container = (byKind(manifests, 'Deployment')[0] as Any).spec.template.spec.containers[0];
    expect(container.args).toEqual(['watch', '--config=cluster-config/aws-demo.yml', '--interval=30', '--port=8080']);
    expect(container.env).toContainEqual({ name: 'GITHUB_REPOSITORY', value: 'example/cluster-config' });
    expect(container.env).toContainEqual({ name: 'GITHUB_TOKEN', valueFrom: { secretKeyRef: { name: 'github-token', key: 'token' } } });
    expect(byKind(manifests, 'Secret')).toEqual([]);
  });

  it('creates the Secret from a given token, which appears nowhere else', async () => {
    const { manifests } = await render(['github.token.existingSecret=', 'github.token.value=ghs_exampletoken']);
    const [secret] = byKind(manifests, 'Secret') as Any[];
    expect(secret.data).toEqual({ token: Buffer.from('ghs_exampletoken').toString('base64') });
    expect(JSON.stringify(manifests.filter((m) => m.kind !== 'Secret'))).not.toContain('ghs_exampletoken');
  });

  it('mounts the policy values as a file the watcher reads', async () => {
    const { manifests } = await render([], 'policy:\n  scale_down_unneeded_time: 20m\n');
    expect((byKind(manifests, 'ConfigMap')[0] as Any).data['policy.yaml']).toBe('scale_down_unneeded_time: 20m\n');
    const container = (byKind(manifests, 'Deployment')[0] as Any).spec.template.spec.containers[0];
    expect(container.args).toContain('--policy-file=/etc/lambdastack-autoscaler/policy.yaml');
  });

  it('passes the Prometheus URL and query timeout when a URL is given, and no Prometheus flag otherwise', async () => {
    const [deployment] = byKind(
      (await render(['prometheus.url=http://prometheus-server.monitoring.svc:9090', 'prometheus.timeout=5'])).manifests,
      'Deployment',
    ) as Any[];
    expect(deployment.spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(['--prometheus-url=http://prometheus-server.monitoring.svc:9090', '--prometheus-timeout=5']),
    );
    const [plain] = byKind((await render()).manifests, 'Deployment') as Any[];
    expect((plain.spec.template.spec.containers[0].args as string[]).filter((arg) => arg.startsWith('--prometheus'))).toEqual([]);
  });

  it('records nothing by default: no --record flag, no recording volume', async () => {
    const [deployment] = byKind((await render()).manifests, 'Deployment') as Any[];
    const pod = deployment.spec.template.spec;
    expect((pod.containers[0].args as string[]).filter((arg) => arg.startsWith('--record'))).toEqual([]);
    expect(pod.volumes.map((volume: { name: string }) => volume.name)).toEqual(['tmp']);
  });

  it('records to an emptyDir sized for the file and its rotated part, the root file system still read-only', async () => {
    const [deployment] = byKind((await render(['recording.enabled=true', 'recording.podNames=true'])).manifests, 'Deployment') as Any[];
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(container.args).toEqual(
      expect.arrayContaining([
        '--record=/var/lib/lambdastack-autoscaler/recording.jsonl',
        '--record-max-bytes=67108864',
        '--record-pod-names',
      ]),
    );
    expect(container.volumeMounts).toContainEqual({ name: 'recording', mountPath: '/var/lib/lambdastack-autoscaler' });
    // Twice 64 MiB plus 1 MiB: past its sizeLimit the kubelet evicts the pod.
    expect(pod.volumes).toContainEqual({ name: 'recording', emptyDir: { sizeLimit: String(2 * 64 * 2 ** 20 + 2 ** 20) } });
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it('records to an existing claim when named, with maxBytes written as a whole number however YAML read it', async () => {
    const values = 'recording:\n  enabled: true\n  maxBytes: 536870912\n  existingClaim: autoscaler-recording\n';
    const [deployment] = byKind((await render([], values)).manifests, 'Deployment') as Any[];
    const pod = deployment.spec.template.spec;
    expect(pod.containers[0].args).toContain('--record-max-bytes=536870912');
    expect(pod.containers[0].args).not.toContain('--record-pod-names');
    expect(pod.volumes).toContainEqual({ name: 'recording', persistentVolumeClaim: { claimName: 'autoscaler-recording' } });
  });

  it('refuses a recording bound that is not a whole number of bytes of at least 64 KiB, naming the value', async () => {
    for (const [given, shown] of [
      ['recording.maxBytes=64Mi', '64Mi'],
      ['recording.maxBytes=1000', '1000'],
    ]) {
      const { exitCode, stderr } = await render(['recording.enabled=true', given as string]);
      expect(exitCode).toBe(1);
      expect(stderr).toContain(`recording.maxBytes is ${shown}: give a whole number of bytes, at least 65536 (64 MiB is 67108864)`);
    }
  });

  it('says after install where the recording is and how to copy it into the config repository', async () => {
    // helm template leaves NOTES.txt out: a copy of the chart renders it into a ConfigMap.
    const chart = join(await tempDir('lsa-chart-notes-'), 'chart');
    await cp(CHART, chart, { recursive: true });
    await cp(join(chart, 'templates', 'NOTES.txt'), join(chart, 'notes.txt'));
    await writeFile(
      join(chart, 'templates', 'notes-probe.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: {{ tpl (.Files.Get "notes.txt") . | quote }}\n',
    );
    const notes = async (sets: string[]): Promise<string> =>
      ((await render(sets, undefined, chart)).manifests.find((m) => m.metadata.name === 'notes') as Any).data.notes;
    expect(await notes([])).not.toContain('recording');
    const recording = await notes(['recording.enabled=true']);
    expect(recording).toContain(
      'It records each cycle to /var/lib/lambdastack-autoscaler/recording.jsonl (an emptyDir: lost when the pod goes)',
    );
    expect(recording).toContain(
      'kubectl -n autoscaler exec "$POD" -- cat /var/lib/lambdastack-autoscaler/recording.jsonl > "recordings/<cluster id>.jsonl"',
    );
  });

  it('renders the example HorizontalPodAutoscaler when asked', async () => {
    const { manifests } = await render(['exampleHpa.enabled=true']);
    expect(byKind(manifests, 'HorizontalPodAutoscaler')).toMatchObject([
      { apiVersion: 'autoscaling/v2', spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 20 } },
    ]);
  });

  it('refuses to render without a repository or a token, or with two replicas, saying what is missing', async () => {
    expect((await render(['github.repository='])).stderr).toContain('github.repository is required');
    expect((await render(['github.token.existingSecret='])).stderr).toContain('a GitHub token is required');
    expect((await render(['replicaCount=2'])).stderr).toContain('replicaCount must be 1');
  });

  it('passes helm lint', async () => {
    const result = await execa(HELM, ['lint', CHART, ...REQUIRED.flatMap((s) => ['--set', s])], {
      reject: false,
      env: { HELM_CACHE_HOME: helmHome, HELM_CONFIG_HOME: helmHome, HELM_DATA_HOME: helmHome },
    });
    expect(result.stdout).toContain('0 chart(s) failed');
  });
});
