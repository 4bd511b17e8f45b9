#!/usr/bin/env python3
"""Drives an engine through docker-py (Debian's python3-docker) and reports each check on its own line:
`PASS name` or `FAIL name: why`. The same checks run against the bundled engine and Docker Engine.
Usage: DOCKER_HOST=unix:///path.sock python3 docker_py_checks.py CONTEXT_DIR PREFIX
CONTEXT_DIR holds a busybox FROM scratch build context (Dockerfile + busybox)."""
import io
import re
import os
import select
import socket
import sys
import tarfile
import time
import traceback

import docker

CONTEXT, PREFIX = sys.argv[1], sys.argv[2]
client = docker.from_env(timeout=120)
api = client.api
IMAGE = f'{PREFIX}-bb:latest'
cleanup = []


def check(name):
    def run(fn):
        try:
            fn()
            print(f'PASS {name}', flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the run
            detail = ''.join(traceback.format_exception_only(type(e), e)).strip().replace('\n', ' | ')
            print(f'FAIL {name}: {detail}', flush=True)
        return fn
    return run


def eq(actual, expected, what=''):
    if actual != expected:
        raise AssertionError(f'{what} expected {expected!r}, got {actual!r}')


def container(cmd, **kw):
    c = client.containers.run(IMAGE, cmd, detach=True, **kw)
    cleanup.append(c)
    return c


@check('build from a FROM scratch context')
def _build():
    image, _logs = client.images.build(path=CONTEXT, tag=IMAGE, rm=True)
    assert IMAGE in image.tags, image.tags


@check('run, wait, logs, inspect, remove')
def _run():
    c = client.containers.run(IMAGE, ['sh', '-c', 'echo out; echo err >&2; exit 3'], detach=True)
    eq(c.wait(timeout=30)['StatusCode'], 3, 'exit code')
    eq(c.logs(stdout=True, stderr=False), b'out\n', 'stdout logs')
    eq(c.logs(stdout=False, stderr=True), b'err\n', 'stderr logs')
    c.reload()
    eq(c.attrs['State']['Status'], 'exited', 'status')
    eq(c.attrs['State']['ExitCode'], 3, 'State.ExitCode')
    c.remove()
    try:
        c.reload()
        raise AssertionError('container still exists after remove')
    except docker.errors.NotFound:
        pass


@check('run with remove=True returns the output')
def _run_rm():
    eq(client.containers.run(IMAGE, ['echo', 'hello'], remove=True), b'hello\n', 'output')


@check('kill a running container')
def _kill():
    c = container(['sleep', '600'])
    c.kill()
    eq(c.wait(timeout=30)['StatusCode'], 137, 'exit code after SIGKILL')


@check('inspect: HostConfig.Runtime and LogConfig.Type')
def _inspect_defaults():
    c = container(['true'])
    hc = c.attrs['HostConfig']
    eq(hc.get('Runtime'), 'runc', 'Runtime')
    eq(hc['LogConfig']['Type'], 'json-file', 'LogConfig.Type')


@check('unknown log driver refused at create')
def _bad_log_driver():
    try:
        api.create_container(IMAGE, ['true'], host_config=api.create_host_config(log_config={'Type': 'asdf'}))
        raise AssertionError('create succeeded')
    except docker.errors.APIError as e:
        eq(e.status_code, 400, 'status')
        # Docker 20.10 looks the name up as a plugin: 'error looking up logging plugin asdf: plugin "asdf" not found'
        assert 'asdf' in str(e) and 'not found' in str(e), str(e)


@check('log driver none: logs are refused')
def _none_logs():
    c = container(['echo', 'x'], log_config={'Type': 'none'})
    c.wait(timeout=30)
    try:
        c.logs()
        raise AssertionError('logs answered')
    except docker.errors.APIError as e:
        assert 'configured logging driver does not support reading' in str(e), str(e)


@check('group_add: names and numbers')
def _group_add():
    c = container(['id', '-G'], group_add=['audio', '1234'])
    c.wait(timeout=30)
    groups = c.logs().decode().split()
    assert '29' in groups and '1234' in groups, groups


@check('exec without TTY: framed output, exit code')
def _exec_plain():
    c = container(['sleep', '600'])
    r = c.exec_run(['sh', '-c', 'echo out; echo err >&2; exit 4'], demux=True)
    eq(r.exit_code, 4, 'exit code')
    eq(r.output, (b'out\n', b'err\n'), 'demuxed output')


@check('exec with TTY: raw output')
def _exec_tty():
    c = container(['sleep', '600'])
    r = c.exec_run(['echo', 'hi'], tty=True)
    eq(r.exit_code, 0, 'exit code')
    eq(r.output, b'hi\r\n', 'raw tty output')


@check('exec created with TTY, started without: framed like Docker')
def _exec_tty_mismatch():
    c = container(['sleep', '600'])
    ex = api.exec_create(c.id, ['echo', 'hi'], tty=True)
    out = api.exec_start(ex['Id'], tty=False)
    eq(out, b'hi\r\n', 'demultiplexed output (the process had a tty)')


@check('exec of a missing binary exits 126')
def _exec_missing():
    c = container(['sleep', '600'])
    ex = api.exec_create(c.id, ['no-such-binary'])
    out = api.exec_start(ex['Id'])
    eq(api.exec_inspect(ex['Id'])['ExitCode'], 126, 'ExitCode')
    assert b'executable file not found' in out, out


@check('exec inspect fields')
def _exec_inspect():
    c = container(['sleep', '600'])
    ex = api.exec_create(c.id, ['true'], user='1:2', workdir='/bin')
    api.exec_start(ex['Id'])
    info = api.exec_inspect(ex['Id'])
    eq(info['ExitCode'], 0, 'ExitCode')
    eq(info['Running'], False, 'Running')
    eq(info['ProcessConfig']['user'], '1:2', 'user')


def hijack(sock_obj):
    s = sock_obj._sock if hasattr(sock_obj, '_sock') else sock_obj
    return s


def read_until_closed(s, timeout=10):
    s.settimeout(timeout)
    data = b''
    while True:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            raise AssertionError(f'stream not closed after {timeout}s; read {data!r}')
        if not chunk:
            return data
        data += chunk


@check('attach: default detach keys ctrl-p ctrl-q close the stream, container keeps running')
def _attach_detach():
    c = container(['cat'], stdin_open=True, tty=True)
    s = hijack(api.attach_socket(c.id, params={'stdin': 1, 'stdout': 1, 'stream': 1}))
    s.sendall(b'hello\n')
    time.sleep(0.5)
    s.sendall(b'\x10\x11')
    read_until_closed(s)
    c.reload()
    eq(c.attrs['State']['Running'], True, 'Running after detach')


@check('attach: detachKeys query parameter')
def _attach_detach_custom():
    c = container(['cat'], stdin_open=True, tty=True)
    s = hijack(api.attach_socket(c.id, params={'stdin': 1, 'stdout': 1, 'stream': 1, 'detachKeys': 'ctrl-x,y'}))
    s.sendall(b'\x18y')
    read_until_closed(s)
    c.reload()
    eq(c.attrs['State']['Running'], True, 'Running after detach')


@check('exec: detach keys close the exec stream')
def _exec_detach():
    c = container(['sleep', '600'])
    ex = api.exec_create(c.id, ['cat'], stdin=True, tty=True, detach_keys='ctrl-a,b')
    s = hijack(api.exec_start(ex['Id'], tty=True, socket=True))
    s.sendall(b'\x01b')
    read_until_closed(s)


@check('network: create with IPAM options, inspect fields')
def _network():
    ipam = docker.types.IPAMConfig(
        driver='default',
        pool_configs=[docker.types.IPAMPool(subnet='10.213.0.0/16', iprange='10.213.5.0/24', gateway='10.213.5.254')],
        options={'foo': 'bar'})
    net = client.networks.create(f'{PREFIX}net', ipam=ipam, labels={'l': 'v'}, options={'com.docker.network.bridge.enable_icc': 'true'})
    cleanup.append(net)
    a = net.attrs
    eq(a['Driver'], 'bridge', 'Driver')
    eq(a['EnableIPv6'], False, 'EnableIPv6')
    eq(a['Internal'], False, 'Internal')
    eq(a['Labels'], {'l': 'v'}, 'Labels')
    eq(a['IPAM']['Driver'], 'default', 'IPAM.Driver')
    eq(a['IPAM']['Options'], {'foo': 'bar'}, 'IPAM.Options')
    cfg = a['IPAM']['Config'][0]
    eq((cfg['Subnet'], cfg['IPRange'], cfg['Gateway']), ('10.213.0.0/16', '10.213.5.0/24', '10.213.5.254'), 'IPAM.Config')


@check('network: a name with spaces')
def _network_spaces():
    net = client.networks.create(f'{PREFIX} net with spaces')
    cleanup.append(net)
    eq(client.networks.get(net.id).name, f'{PREFIX} net with spaces', 'Name')
    eq(api.inspect_network(f'{PREFIX} net with spaces')['Id'], net.id, 'Id by name')


@check('network: connect with aliases and ipv4 address')
def _connect():
    net = client.networks.create(f'{PREFIX}net2', ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet='10.214.0.0/16')]))
    cleanup.append(net)
    c = client.containers.create(IMAGE, ['sleep', '600'])
    cleanup.append(c)
    net.connect(c, aliases=['foo', 'bar'], ipv4_address='10.214.0.23')
    c.start()
    c.reload()
    ep = c.attrs['NetworkSettings']['Networks'][net.name]
    eq(ep['IPAddress'], '10.214.0.23', 'IPAddress')
    assert 'foo' in ep['Aliases'] and 'bar' in ep['Aliases'], ep['Aliases']
    eq(ep['IPAMConfig']['IPv4Address'], '10.214.0.23', 'IPAMConfig.IPv4Address')
    net.reload()
    assert c.id in net.attrs['Containers'], net.attrs['Containers']
    r = c.exec_run(['ip', '-4', 'addr'])
    assert b'10.214.0.23' in r.output, r.output


@check('mac address applied to the primary endpoint')
def _mac():
    c = container(['cat', '/sys/class/net/eth0/address'], mac_address='02:42:ac:11:00:99')
    c.wait(timeout=30)
    eq(c.logs().strip(), b'02:42:ac:11:00:99', 'eth0 address')


@check('legacy links: env and hosts')
def _links():
    target = container(['sleep', '600'], name=f'{PREFIX}-linked')
    c = container(['sh', '-c', 'env; cat /etc/hosts'], links={target.name: 'db'})
    c.wait(timeout=30)
    out = c.logs().decode()
    assert f'DB_NAME=/{c.name}/db' in out, out
    assert ' db' in out or '\tdb' in out, out


@check('volumes: create, inspect, use, remove')
def _volumes():
    v = client.volumes.create(f'{PREFIX}vol', labels={'k': 'v'})
    eq(v.attrs['Driver'], 'local', 'Driver')
    eq(v.attrs['Labels'], {'k': 'v'}, 'Labels')
    c = client.containers.run(IMAGE, ['sh', '-c', 'echo data > /v/f'], volumes={v.name: {'bind': '/v', 'mode': 'rw'}}, remove=True)
    out = client.containers.run(IMAGE, ['cat', '/v/f'], volumes={v.name: {'bind': '/v', 'mode': 'ro'}}, remove=True)
    eq(out, b'data\n', 'volume content')
    v.remove()
    assert v.name not in [x.name for x in client.volumes.list()]


@check('save and load an image')
def _save_load():
    image = client.images.get(IMAGE)
    data = b''.join(image.save(named=True))
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        assert 'manifest.json' in t.getnames(), t.getnames()
    loaded = client.images.load(data)
    assert any(IMAGE in i.tags for i in loaded), [i.tags for i in loaded]


@check('save by ID carries no RepoTags')
def _save_by_id():
    import json
    image = client.images.get(IMAGE)
    data = b''.join(api.get_image(image.id))
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        manifest = json.load(t.extractfile('manifest.json'))
    eq(manifest[0].get('RepoTags'), None, 'RepoTags')


@check('load of garbage reports the error in the stream')
def _load_garbage():
    try:
        client.images.load(b'this is not a tar archive' * 10)
        raise AssertionError('load succeeded')
    except docker.errors.APIError as e:
        # docker-py raises the stream's error as ImageLoadError (a DockerException) or an APIError
        raise AssertionError(f'HTTP error instead of a stream error: {e}')
    except docker.errors.DockerException:
        pass


@check('remove a restarting container needs force')
def _remove_restarting():
    c = container(['sh', '-c', 'exit 1'], restart_policy={'Name': 'always'})
    deadline = time.time() + 20
    while time.time() < deadline:
        c.reload()
        if c.attrs['State']['Restarting']:
            break
        time.sleep(0.05)
    else:
        raise AssertionError('never seen restarting')
    try:
        c.remove()
        raise AssertionError('removed without force')
    except docker.errors.APIError as e:
        eq(e.status_code, 409, 'status')
        # 'restarting' while it waits to restart, 'running' once it has restarted (the race is Docker's too)
        assert re.search(r'You cannot remove a (restarting|running) container', str(e)), str(e)


@check('network: two with one name unless check_duplicate, the name then ambiguous')
def _duplicate_network_names():
    name = f'{PREFIX}-dupnet'
    first = client.networks.create(name)
    cleanup.append(first)
    try:
        client.networks.create(name, check_duplicate=True)
        raise AssertionError('a second network with the name despite check_duplicate')
    except docker.errors.APIError as e:
        eq(e.status_code, 409, 'status with check_duplicate')
    second = client.networks.create(name, check_duplicate=False)
    cleanup.append(second)
    assert second.id != first.id
    eq(sorted(n.id for n in client.networks.list(names=[name])), sorted([first.id, second.id]), 'both listed')
    try:
        api.inspect_network(name)
        raise AssertionError('an ambiguous name was resolved')
    except docker.errors.APIError as e:
        eq(e.status_code, 400, 'status of an ambiguous name')
        assert 'ambiguous' in str(e), str(e)
    eq(client.networks.get(second.id).name, name, 'found by id')


@check('build: an unknown instruction is refused (400) before any step runs')
def _build_unknown_instruction():
    dockerfile = f'FROM {IMAGE}\nRUN echo should-not-run\nNOTADOCKERFILECOMMAND\n'
    try:
        for _ in api.build(fileobj=io.BytesIO(dockerfile.encode()), decode=True):
            raise AssertionError('the build streamed output')
        raise AssertionError('the build succeeded')
    except docker.errors.APIError as e:
        eq(e.status_code, 400, 'status')
        eq(e.explanation, 'dockerfile parse error line 3: unknown instruction: NOTADOCKERFILECOMMAND', 'message')


@check('device_cgroup_rules open the devices they name')
def _device_cgroup_rules():
    script = ['sh', '-c', 'mknod /dev/tsc-probe c 7 128 && cat /dev/tsc-probe >/dev/null; true']
    denied = client.containers.run(IMAGE, script, stderr=True, remove=True)
    assert b'Operation not permitted' in denied, denied
    allowed = client.containers.run(IMAGE, script, stderr=True, remove=True, device_cgroup_rules=['c 7:128 rwm'])
    assert b'Operation not permitted' not in allowed, allowed


@check('image prune reports SpaceReclaimed')
def _prune():
    r = client.images.prune()
    assert isinstance(r.get('SpaceReclaimed'), int), r


for obj in reversed(cleanup):
    try:
        obj.remove(force=True) if not isinstance(obj, docker.models.networks.Network) else obj.remove()
    except Exception:  # noqa: BLE001
        pass
try:
    client.images.remove(IMAGE, force=True)
except Exception:  # noqa: BLE001
    pass
print('DONE', flush=True)
