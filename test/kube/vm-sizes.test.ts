import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { cpuMillis, memoryBytes } from '../../src/kube/quantity.js';
import { knownSize, MAX_PODS, nodeResources, VM_SIZES, vmSize } from '../../src/kube/vm-sizes.js';

describe('the VM size catalogue', () => {
  it('knows AWS and Azure sizes, Azure names in any case', () => {
    expect(vmSize('t3.medium')).toEqual({ name: 't3.medium', vcpus: 2, memoryGiB: 4 });
    expect(vmSize('standard_d4s_v3')).toEqual({ name: 'Standard_D4s_v3', vcpus: 4, memoryGiB: 16 });
    expect(knownSize('STANDARD_B2S')).toBe('Standard_B2s');
    expect(knownSize('toString')).toBeUndefined();
  });

  it('names an unknown size, lists the known ones and says where to add one', () => {
    const call = () => vmSize('x9.huge', 'infrastructure/virtual-machine kubernetes-node-machine');
    expect(call).toThrow(UserError);
    expect(call).toThrow(/unknown VM size "x9.huge" \(infrastructure\/virtual-machine kubernetes-node-machine\).*t3\.medium.*Standard_B2s/);
    expect(call).toThrow(/add the size with its vCPUs and memory to VM_SIZES in src\/kube\/vm-sizes\.ts/);
  });
});

describe('what a node of a size reports', () => {
  it('has the VM as capacity, with memory in Ki as the kubelet writes it', () => {
    const r = nodeResources(vmSize('t3.medium'));
    expect(r.capacity).toMatchObject({ cpu: '2', memory: '4194304Ki', pods: '110' });
  });

  it('keeps back the kubelet reservations: 70m of 2 cores, 355Mi of memory', () => {
    const r = nodeResources(vmSize('t3.medium'));
    expect(r.allocatable).toMatchObject({ cpu: '1930m', memory: `${(4 * 1024 - 355) * 1024}Ki`, pods: '110' });
    expect(r.cpuMillis).toBe(1930);
    expect(r.memoryBytes).toBe((4 * 1024 - 355) * 2 ** 20);
    // Seven 250m/500Mi pods fit a t3.medium, not eight: memory runs out first.
    expect(Math.floor(r.memoryBytes / (500 * 2 ** 20))).toBe(7);
  });

  it.each(Object.keys(VM_SIZES))('%s: allocatable is below capacity and agrees with its own quantity strings', (name) => {
    const r = nodeResources(vmSize(name));
    const capacityCpu = cpuMillis(r.capacity.cpu as string) as number;
    const capacityMemory = memoryBytes(r.capacity.memory as string) as number;
    expect(r.cpuMillis).toBeGreaterThan(0);
    expect(r.cpuMillis).toBeLessThan(capacityCpu);
    expect(r.memoryBytes).toBeGreaterThan(0);
    expect(r.memoryBytes).toBeLessThan(capacityMemory);
    expect(cpuMillis(r.allocatable.cpu as string)).toBe(r.cpuMillis);
    expect(memoryBytes(r.allocatable.memory as string)).toBe(r.memoryBytes);
    expect(r.pods).toBe(MAX_PODS);
  });
});
