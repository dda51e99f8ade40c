// Memory and build time of the cluster snapshot at 5,000 nodes / 150,000 pods, from in-memory caches.
//
//   npm run build && node --expose-gc bench/snapshot-memory.js          # the cache of views
//   npm run build && node --expose-gc bench/snapshot-memory.js --full   # for comparison: full objects kept
//   npm run build && node --expose-gc bench/snapshot-memory.js --none   # control: objects made, nothing kept
//
// Objects are made as a watch delivers them (parsed JSON, with the fields a real API server sets:
// uids, images, env, volume mounts, statuses, the default tolerations), turned into cache entries one
// at a time as the informer does, and the raw object dropped. RSS is read after a forced GC; it keeps
// memory freed after making the objects (hundreds of MiB of short-lived JSON), so the cache's own cost is
// its RSS less the control run's, and heapUsed. Most of that freed memory is V8's young generation,
// which grows to 128 MiB under such an allocation burst (a 150,000-pod list does the same):
// `--max-semi-space-size=8` caps it, for a little more time in GC.
import { budgetEntry, nodeEntry, podEntry } from '../dist/kube/cache-entries.js';
import { buildSnapshot } from '../dist/kube/snapshot.js';

const NODES = 5_000;
const APP_PODS = 140_000;
const REPLICAS = 30;
const NAMESPACES = 100;
const full = process.argv.includes('--full');
const none = process.argv.includes('--none');

const MiB = 2 ** 20;
function rss() {
  globalThis.gc?.();
  return process.memoryUsage();
}

const uid = (i) => `${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}-1f2e-4a5b-8c9d-${String(i).padStart(12, '0')}`;
const nodeName = (i) => `demo-shop-kubernetes-node-vm-${i}`;
const created = '2026-03-01T10:00:00Z';

function makeNode(i) {
  const name = nodeName(i);
  return JSON.parse(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        uid: uid(i),
        resourceVersion: String(1000 + i),
        creationTimestamp: created,
        labels: {
          'beta.kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'node.kubernetes.io/instance-type': 'm5.2xlarge',
        },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      },
      spec: { podCIDR: `10.${i >> 8}.${i & 255}.0/24`, providerID: `aws:///eu-west-1a/i-${uid(i).slice(0, 8)}` },
      status: {
        capacity: { cpu: '8', memory: '32761856Ki', pods: '110', 'ephemeral-storage': '101430960Ki' },
        allocatable: { cpu: '7910m', memory: '31610880Ki', pods: '110', 'ephemeral-storage': '93478772582' },
        conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({
          type,
          status: type === 'Ready' ? 'True' : 'False',
          lastHeartbeatTime: created,
          lastTransitionTime: created,
          reason: `Kubelet${type}`,
          message: `kubelet has ${type}`,
        })),
        addresses: [
          { type: 'InternalIP', address: `10.1.${i >> 8}.${i & 255}` },
          { type: 'Hostname', address: name },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.32.0',
          containerRuntimeVersion: 'containerd://1.7.0',
          osImage: 'Ubuntu 22.04',
          kernelVersion: '5.15.0',
        },
        images: Array.from({ length: 8 }, (_, k) => ({
          names: [`registry.example.com/team/app-${k}:1.${k}.0`],
          sizeBytes: 50_000_000 + k,
        })),
      },
    }),
  );
}

function makePod(i, namespace, workload, owner, node, labels) {
  const name = `${workload}-${uid(i).slice(0, 10)}`;
  return JSON.parse(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        uid: uid(i),
        resourceVersion: String(100_000 + i),
        creationTimestamp: created,
        generateName: `${workload}-`,
        labels,
        annotations: { 'prometheus.io/scrape': 'true', 'kubectl.kubernetes.io/restartedAt': created },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: owner, name: workload, uid: uid(i % 5000), controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: {
        nodeName: nodeName(node),
        containers: [
          {
            name: 'app',
            image: `registry.example.com/team/${workload}:1.4.2`,
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            env: [
              { name: 'LOG_LEVEL', value: 'info' },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
            volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
            terminationMessagePath: '/dev/termination-log',
            imagePullPolicy: 'IfNotPresent',
          },
        ],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        dnsPolicy: 'ClusterFirst',
        serviceAccountName: 'default',
        schedulerName: 'default-scheduler',
        tolerations: [
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        ],
        volumes: [
          { name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] } },
        ],
      },
      status: {
        phase: 'Running',
        conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
          type,
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: created,
        })),
        hostIP: `10.1.${node >> 8}.${node & 255}`,
        podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
        startTime: created,
        containerStatuses: [
          {
            name: 'app',
            ready: true,
            restartCount: 0,
            image: `registry.example.com/team/${workload}:1.4.2`,
            imageID: `registry.example.com/team/${workload}@sha256:${uid(i).replaceAll('-', '')}`,
            containerID: `containerd://${uid(i).replaceAll('-', '')}${uid(i + 1).replaceAll('-', '')}`,
            started: true,
            state: { running: { startedAt: created } },
          },
        ],
        qosClass: 'Burstable',
      },
    }),
  );
}

function cache(entries) {
  return { list: () => entries };
}

// Time spent turning objects into entries (what the informer adds per object), apart from making them.
let entryMs = 0;
const keep = none
  ? () => undefined
  : full
    ? (object) => ({ metadata: object.metadata, view: object })
    : (object, toEntry) => {
        const started = performance.now();
        const entry = toEntry(object);
        entryMs += performance.now() - started;
        return entry;
      };

const baseline = rss();
const ingestStarted = performance.now();
const nodes = [];
for (let i = 0; i < NODES; i++) nodes.push(keep(makeNode(i), nodeEntry));
const pods = [];
let n = 0;
// DaemonSets: kube-proxy and the CNI plugin on every node.
for (const ds of ['kube-proxy', 'kube-flannel-ds']) {
  for (let node = 0; node < NODES; node++) {
    pods.push(
      keep(makePod(n++, 'kube-system', ds, 'DaemonSet', node, { 'k8s-app': ds, 'controller-revision-hash': '6d4b7c9f8' }), podEntry),
    );
  }
}
// Deployments of REPLICAS pods each, spread over the nodes and namespaces.
const budgets = [];
for (let w = 0; n < 2 * NODES + APP_PODS; w++) {
  const namespace = `team-${w % NAMESPACES}`;
  const workload = `app-${w}`;
  const labels = { app: workload, 'pod-template-hash': uid(w).slice(0, 10), tier: w % 2 ? 'web' : 'worker' };
  budgets.push(
    keep(
      {
        metadata: { name: workload, namespace, resourceVersion: '1' },
        spec: { selector: { matchLabels: { app: workload } }, minAvailable: 1 },
        status: { disruptionsAllowed: 1 },
      },
      budgetEntry,
    ),
  );
  for (let r = 0; r < REPLICAS && n < 2 * NODES + APP_PODS; r++)
    pods.push(keep(makePod(n++, namespace, workload, 'ReplicaSet', (w * REPLICAS + r) % NODES, labels), podEntry));
}
const ingestMs = performance.now() - ingestStarted;
const cached = rss();

const caches = { nodes: cache(nodes), pods: cache(pods), budgets: cache(budgets) };
const report = {
  mode: none ? 'nothing kept (control)' : full ? 'full objects (comparison)' : 'cache of views',
  nodes: nodes.length,
  pods: pods.length,
  budgets: budgets.length,
  makeAndIngestMs: Math.round(ingestMs),
  entryMs: Math.round(entryMs),
  baselineRssMiB: +(baseline.rss / MiB).toFixed(1),
  cachedRssMiB: +(cached.rss / MiB).toFixed(1),
  cachedHeapMiB: +(cached.heapUsed / MiB).toFixed(1),
  cachedHeapTotalMiB: +(cached.heapTotal / MiB).toFixed(1),
};
if (!full && !none) {
  const times = [];
  const cpu = [];
  let snapshot;
  let afterOne;
  for (let run = 0; run < 9; run++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    snapshot = buildSnapshot(caches, undefined, {
      workers: { cluster: { name: 'shop', prefix: 'demo' } },
      takenAt: Date.now(),
      stale: false,
    });
    const used = process.cpuUsage(cpuStarted);
    times.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
    if (run === 0) afterOne = rss();
  }
  const withSnapshot = rss();
  const median = (values) => +values.sort((a, b) => a - b)[Math.floor(values.length / 2)].toFixed(1);
  Object.assign(report, {
    // Wall time counts waiting for a CPU on a shared machine; CPU time is the build's own.
    buildMedianMs: median(times),
    buildMinMs: +Math.min(...times).toFixed(1),
    buildCpuMedianMs: median(cpu),
    rssAfterOneBuildMiB: +(afterOne.rss / MiB).toFixed(1),
    // Nine builds in a row leave the older snapshots to the GC: RSS keeps what they took.
    rssAfterNineBuildsMiB: +(withSnapshot.rss / MiB).toFixed(1),
    heapWithSnapshotMiB: +(withSnapshot.heapUsed / MiB).toFixed(1),
    workers: snapshot.nodes.filter((node) => node.worker).length,
    podsWithBudgets: snapshot.pods.filter((pod) => pod.budgets.length > 0).length,
  });
}
console.log(JSON.stringify(report, null, 2));
