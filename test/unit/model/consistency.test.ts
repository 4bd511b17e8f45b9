// compose-go's consistency checks: each inconsistent file is refused at file:line:column, and
// the consistent variant of the same file loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProject } from '../../../src/model/index.js';
import { UserError } from '../../../src/errors.js';
import { withStack } from './stack-dir.js';

async function outcome(yaml: string, extra: Record<string, string> = {}): Promise<string> {
  return withStack({ 'compose.yaml': yaml, ...extra }, async (dir) => {
    try {
      await loadProject({ cwd: dir, environment: {} });
      return 'ok';
    } catch (err) {
      assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
      return err.message.replaceAll(dir + '/', '');
    }
  });
}

const cases: { name: string; bad: string; good: string; error: RegExp; files?: Record<string, string> }[] = [
  {
    name: 'duplicate container_name',
    bad: 'services:\n  a:\n    image: x\n    container_name: c\n  b:\n    image: x\n    container_name: c\n',
    good: 'services:\n  a:\n    image: x\n    container_name: c\n  b:\n    image: x\n    container_name: d\n',
    error: /^compose\.yaml:7:21: services\.b\.container_name: container name "c" is already in use by service "a"/,
  },
  {
    name: 'container_name with scale > 1',
    bad: 'services:\n  a:\n    image: x\n    container_name: c\n    scale: 2\n',
    good: 'services:\n  a:\n    image: x\n    container_name: c\n    scale: 1\n',
    error: /^compose\.yaml:4:21: services\.a\.container_name: can't set container_name and scale \(2\)/,
  },
  {
    name: 'container_name with deploy.replicas > 1',
    bad: 'services:\n  a:\n    image: x\n    container_name: c\n    deploy:\n      replicas: 3\n',
    good: 'services:\n  a:\n    image: x\n    container_name: c\n    deploy:\n      replicas: 1\n',
    error: /^compose\.yaml:4:21: services\.a\.container_name: can't set container_name and deploy\.replicas \(3\)/,
  },
  {
    name: 'network_mode with networks',
    bad: 'services:\n  a:\n    image: x\n    network_mode: host\n    networks: [n]\nnetworks:\n  n: {}\n',
    good: 'services:\n  a:\n    image: x\n    network_mode: host\n',
    error: /^compose\.yaml:4:5: services\.a\.network_mode: service a declares mutually exclusive `network_mode` and `networks`/,
  },
  {
    name: 'healthcheck test not starting with NONE/CMD/CMD-SHELL',
    bad: 'services:\n  a:\n    image: x\n    healthcheck:\n      test: [curl, -f, http://localhost]\n',
    good: 'services:\n  a:\n    image: x\n    healthcheck:\n      test: [CMD, curl, -f, http://localhost]\n',
    error: /^compose\.yaml:5:14: services\.a\.healthcheck\.test\[0\]: healthcheck\.test must start either by "CMD", "CMD-SHELL" or "NONE"/,
  },
  {
    name: 'dockerfile with dockerfile_inline',
    bad: 'services:\n  a:\n    build:\n      context: .\n      dockerfile: Dockerfile\n      dockerfile_inline: FROM x\n',
    good: 'services:\n  a:\n    build:\n      context: .\n      dockerfile_inline: FROM x\n',
    error:
      /^compose\.yaml:6:7: services\.a\.build\.dockerfile_inline: service "a" declares mutually exclusive dockerfile and dockerfile_inline/,
  },
  {
    name: 'platform not in build.platforms',
    bad: 'services:\n  a:\n    platform: linux/arm64\n    build:\n      context: .\n      platforms: [linux/amd64]\n',
    good: 'services:\n  a:\n    platform: linux/amd64\n    build:\n      context: .\n      platforms: [linux/amd64, linux/arm64]\n',
    error: /^compose\.yaml:3:15: services\.a\.platform: service\.build\.platforms MUST include service\.platform "linux\/arm64"/,
  },
  {
    name: 'unknown additional_contexts service',
    bad: 'services:\n  a:\n    build:\n      context: .\n      additional_contexts:\n        base: service:nope\n  b:\n    image: x\n',
    good: 'services:\n  a:\n    build:\n      context: .\n      additional_contexts:\n        base: service:b\n  b:\n    image: x\n',
    error: /^compose\.yaml:6:9: services\.a\.build\.additional_contexts\.base: service "a" uses undefined service "nope"/,
  },
  {
    name: 'undefined build secret',
    bad: 'services:\n  a:\n    build:\n      context: .\n      secrets: [tok]\n',
    good: 'services:\n  a:\n    build:\n      context: .\n      secrets: [tok]\nsecrets:\n  tok:\n    file: ./tok\n',
    error: /^compose\.yaml:5:16: services\.a\.build\.secrets\[0\]: service "a" refers to undefined secret tok in build\.secrets/,
  },
  {
    name: 'a secret with neither file nor environment',
    bad: 'services:\n  a:\n    image: x\n    secrets: [tok]\nsecrets:\n  tok:\n    name: t\n',
    good: 'services:\n  a:\n    image: x\n    secrets: [tok]\nsecrets:\n  tok:\n    environment: TOK\n',
    error: /^compose\.yaml:6:3: secrets\.tok: secret "tok" must declare either `file` or `environment`/,
  },
  {
    name: 'cpus disagreeing with deploy.resources.limits.cpus',
    bad: 'services:\n  a:\n    image: x\n    cpus: 1.5\n    deploy:\n      resources:\n        limits:\n          cpus: "2"\n',
    good: 'services:\n  a:\n    image: x\n    cpus: 2\n    deploy:\n      resources:\n        limits:\n          cpus: "2"\n',
    error: /^compose\.yaml:4:11: services\.a\.cpus: can't set distinct values on 'cpus' and 'deploy\.resources\.limits\.cpus'/,
  },
  {
    name: 'mem_limit disagreeing with deploy.resources.limits.memory',
    bad: 'services:\n  a:\n    image: x\n    mem_limit: 1g\n    deploy:\n      resources:\n        limits:\n          memory: 512m\n',
    good: 'services:\n  a:\n    image: x\n    mem_limit: 1g\n    deploy:\n      resources:\n        limits:\n          memory: 1024m\n',
    error: /^compose\.yaml:4:16: services\.a\.mem_limit: can't set distinct values on 'mem_limit' and 'deploy\.resources\.limits\.memory'/,
  },
  {
    name: 'watch sync without target',
    bad: 'services:\n  a:\n    build: .\n    develop:\n      watch:\n        - path: ./src\n          action: sync\n',
    good: 'services:\n  a:\n    build: .\n    develop:\n      watch:\n        - path: ./src\n          action: rebuild\n',
    error: /^compose\.yaml:6:9: services\.a\.develop\.watch\[0\]: target is required for the sync action/,
  },
  {
    name: 'one target used by tmpfs and a volume',
    bad: 'services:\n  a:\n    image: x\n    tmpfs: [/data]\n    volumes: [v:/data]\nvolumes:\n  v: {}\n',
    good: 'services:\n  a:\n    image: x\n    tmpfs: [/tmp]\n    volumes: [v:/data]\nvolumes:\n  v: {}\n',
    error: /^compose\.yaml:4:13: services\.a\.tmpfs\[0\]: \/data is used both by tmpfs and by a volume mount/,
  },
  {
    name: 'environment key with a space',
    bad: 'services:\n  a:\n    image: x\n    environment:\n      "MY VAR": 1\n',
    good: 'services:\n  a:\n    image: x\n    environment:\n      MY_VAR: 1\n',
    error: /^compose\.yaml:5:7: services\.a\.environment\.MY VAR: invalid environment variable name "MY VAR": names cannot contain spaces/,
  },
  {
    name: 'depends_on an undefined service',
    bad: 'services:\n  a:\n    image: x\n    depends_on: [b]\n',
    good: 'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n',
    error: /^compose\.yaml:4:5: services\.a\.depends_on\.b: service "a" depends on undefined service "b"/,
  },
  {
    name: 'a depends_on cycle',
    bad: 'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n',
    good: 'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n',
    error: /^compose\.yaml:7:5: services\.b\.depends_on\.a: dependency cycle between services: a → b → a/,
  },
  {
    name: 'a service depending on itself',
    bad: 'services:\n  a:\n    image: x\n    depends_on: [a]\n',
    good: 'services:\n  a:\n    image: x\n',
    error: /^compose\.yaml:4:5: services\.a\.depends_on\.a: dependency cycle between services: a → a/,
  },
  {
    name: 'undefined network',
    bad: 'services:\n  a:\n    image: x\n    networks: [n]\n',
    good: 'services:\n  a:\n    image: x\n    networks: [n]\nnetworks:\n  n: {}\n',
    error: /^compose\.yaml:4:5: services\.a\.networks\.n: service "a" refers to undefined network n/,
  },
  {
    name: 'undefined volume',
    bad: 'services:\n  a:\n    image: x\n    volumes: [v:/data]\n',
    good: 'services:\n  a:\n    image: x\n    volumes: [v:/data]\nvolumes:\n  v: {}\n',
    error: /^compose\.yaml:4:15: services\.a\.volumes\[0\]: service "a" refers to undefined volume v/,
  },
  {
    name: 'undefined config',
    bad: 'services:\n  a:\n    image: x\n    configs: [c]\n',
    good: 'services:\n  a:\n    image: x\n    configs: [c]\nconfigs:\n  c:\n    content: hi\n',
    error: /^compose\.yaml:4:15: services\.a\.configs\[0\]: service "a" refers to undefined config c/,
  },
];

for (const c of cases) {
  test(`consistency: ${c.name}`, async () => {
    assert.match(await outcome(c.bad, c.files), c.error);
    assert.equal(await outcome(c.good, c.files), 'ok');
  });
}
