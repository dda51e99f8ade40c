import { describe, expect, it } from 'vitest';
import { podRequests } from '../../src/kube/pod-requests.js';

const MiB = 2 ** 20;
const requests = (cpu: string, memory: string) => ({ resources: { requests: { cpu, memory } } });

describe('what a pod requests of a node', () => {
  it('is the sum of its containers', () => {
    expect(podRequests({ containers: [requests('250m', '256Mi'), requests('500m', '128Mi')] })).toEqual({ cpu: 750, memory: 384 * MiB });
  });

  it('counts a container without requests, or without a pod spec part, as nothing', () => {
    expect(podRequests({ containers: [{}, { resources: {} }, { resources: { requests: { cpu: '1' } } }] })).toEqual({
      cpu: 1000,
      memory: 0,
    });
    expect(podRequests({})).toEqual({ cpu: 0, memory: 0 });
  });

  it('is the largest init container when that is more, resource by resource (they run one at a time)', () => {
    expect(
      podRequests({
        containers: [requests('100m', '1Gi')],
        initContainers: [requests('2', '64Mi'), requests('1', '128Mi')],
      }),
    ).toEqual({ cpu: 2000, memory: 1024 * MiB });
  });

  it('adds sidecars (init containers with restartPolicy Always) to the containers and to every init container after them', () => {
    expect(
      podRequests({
        containers: [requests('100m', '100Mi')],
        initContainers: [requests('1', '10Mi'), { restartPolicy: 'Always', ...requests('200m', '50Mi') }, requests('1', '10Mi')],
      }),
    ).toEqual({ cpu: 1200, memory: 150 * MiB });
  });

  it('adds the RuntimeClass overhead', () => {
    expect(podRequests({ containers: [requests('100m', '100Mi')], overhead: { cpu: '250m', memory: '120Mi' } })).toEqual({
      cpu: 350,
      memory: 220 * MiB,
    });
  });
});
