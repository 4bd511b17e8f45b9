import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileAtRunTime, schemaHash, SCHEMA_URL, STANDALONE_URL, standaloneSource } from '../../../src/model/schema-compiler.js';

test('schemas/compose.validate.cjs is generated from the current schema (regenerate: node --import tsx src/model/schema-compiler.ts)', () => {
  const schemaText = readFileSync(SCHEMA_URL, 'utf8');
  const generated = readFileSync(fileURLToPath(STANDALONE_URL), 'utf8');
  assert.ok(generated.includes(`module.exports.schemaHash = "${schemaHash(schemaText)}"`), 'stale: regenerate it');
  assert.equal(generated, standaloneSource(schemaText));
});

test('the schema accepts every service key of the Compose Specification the model knows', () => {
  const validate = compileAtRunTime(readFileSync(SCHEMA_URL, 'utf8'));
  const service = {
    image: 'x',
    build: { context: '.', dockerfile: 'Dockerfile', args: ['A=1'], target: 't' },
    command: 'run',
    entrypoint: ['sh'],
    environment: ['A=1'],
    env_file: [{ path: '.env', required: false }],
    ports: ['80', 80, { target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'udp', mode: 'host' }],
    expose: ['80', 81],
    volumes: ['./a:/b:ro', { type: 'tmpfs', target: '/t', tmpfs: { size: '64m' } }],
    tmpfs: '/run',
    networks: { front: { aliases: ['a'], ipv4_address: '10.0.0.2' } },
    depends_on: { db: { condition: 'service_healthy', restart: true, required: false } },
    healthcheck: {
      test: ['CMD', 'true'],
      interval: '1m30s',
      timeout: 10,
      retries: 3,
      start_period: '5s',
      start_interval: '1s',
      disable: false,
    },
    restart: 'on-failure:3',
    deploy: {
      replicas: 2,
      resources: { limits: { cpus: '0.5', memory: '512m', pids: 100 }, reservations: { cpus: 0.25, memory: '128m' } },
      restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: 3, window: '2m' },
    },
    scale: 1,
    labels: { a: 'b' },
    user: '1000:1000',
    working_dir: '/w',
    hostname: 'h',
    domainname: 'd',
    init: true,
    stop_signal: 'SIGINT',
    stop_grace_period: '1m',
    cap_add: ['NET_ADMIN'],
    cap_drop: ['ALL'],
    privileged: 'false',
    read_only: true,
    shm_size: '64m',
    ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 512 },
    sysctls: ['net.core.somaxconn=1024'],
    extra_hosts: ['h:1.2.3.4'],
    dns: '8.8.8.8',
    dns_search: ['x'],
    dns_opt: ['ndots:1'],
    network_mode: 'bridge',
    pid: 'host',
    ipc: 'shareable',
    logging: { driver: 'json-file', options: { 'max-size': '10m' } },
    secrets: ['s', { source: 's2', target: '/run/s2', mode: 0o400 }],
    configs: ['c'],
    profiles: ['p'],
    develop: { watch: [{ action: 'sync+restart', path: './src', target: '/src', ignore: ['x'], initial_sync: true }] },
    platform: 'linux/amd64',
    pull_policy: 'missing',
    tty: true,
    stdin_open: true,
    container_name: 'c',
    links: ['db:database'],
    volumes_from: ['other:ro'],
    annotations: { a: 'b' },
    attach: false,
    'x-custom': { any: 'thing' },
  };
  const doc = {
    name: 'p',
    include: ['other.yaml', { path: ['a.yaml'], env_file: '.env', project_directory: '.' }],
    services: { web: service },
    networks: { front: { driver: 'bridge', ipam: { config: [{ subnet: '10.0.0.0/24' }] }, internal: true }, ext: { external: true } },
    volumes: { data: { driver_opts: { type: 'tmpfs' } }, old: { external: { name: 'legacy' } } },
    secrets: { s: { file: './s.txt' }, s2: { environment: 'S2' } },
    configs: { c: { content: 'hello' } },
    'x-top': 1,
  };
  assert.equal(validate(doc), true, JSON.stringify(validate.errors?.[0]));
});
