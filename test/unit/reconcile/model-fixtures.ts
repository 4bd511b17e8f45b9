// Canonical model values for unit tests: every required field filled, overrides on top.
import type { Project, Service } from '../../../src/model/types.js';
import type { ObservedContainer, ObservedState } from '../../../src/reconcile/observed.js';

export function service(name: string, extra: Partial<Service> = {}): Service {
  return {
    name,
    image: 'busybox',
    environment: {},
    envFiles: [],
    ports: [],
    expose: [],
    volumes: [],
    tmpfs: [],
    networks: {},
    dependsOn: {},
    links: [],
    volumesFrom: [],
    labels: {},
    annotations: {},
    capAdd: [],
    capDrop: [],
    securityOpt: [],
    ulimits: {},
    sysctls: {},
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    dnsOpt: [],
    secrets: [],
    configs: [],
    profiles: [],
    extensions: {},
    ...extra,
  };
}

export function project(services: Service[], extra: Partial<Project> = {}): Project {
  return {
    name: 'demo',
    workingDir: '/srv/demo',
    configFiles: ['/srv/demo/compose.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    disabledServices: {},
    extensions: {},
    environment: {},
    ...extra,
  };
}

export function container(svc: string, number: number, extra: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `${svc}-${number}-id`,
    name: `demo-${svc}-${number}`,
    service: svc,
    number,
    oneoff: false,
    imageId: 'sha256:img',
    state: 'running',
    status: 'Up',
    labels: {},
    ...extra,
  };
}

export const observed = (containers: ObservedContainer[], extra: Partial<ObservedState> = {}): ObservedState => ({
  containers,
  networks: [],
  volumes: [],
  images: {},
  ...extra,
});
