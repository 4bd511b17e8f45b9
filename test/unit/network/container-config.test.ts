import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildHosts,
  parseExtraHosts,
  resolvConfWithEmbeddedDns,
  resolvConfWithoutEmbeddedDns,
} from '../../../src/engine/network/container-files.js';
import { parseResolvConf } from '../../../src/engine/network/host.js';
import { RoundRobin, reverseLookupAddress } from '../../../src/engine/network/dns-names.js';
import { planPortRequests, reportPorts } from '../../../src/engine/network/port-bindings.js';
import { macForAddress } from '../../../src/engine/network/veth.js';
import { isEngineError } from '../../../src/engine/errors.js';

describe('container files', () => {
  it('writes localhost, extra hosts and the container address into /etc/hosts', () => {
    const hosts = buildHosts({
      hostname: 'web',
      addresses: ['10.89.0.2', '10.90.0.2'],
      extraHosts: parseExtraHosts(['db:10.0.0.5', 'gw:host-gateway', 'v6:[::1]'], '10.89.0.1'),
    });
    assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(hosts, /^10\.0\.0\.5\tdb$/m);
    assert.match(hosts, /^10\.89\.0\.1\tgw$/m);
    assert.match(hosts, /^::1\tv6$/m);
    assert.match(hosts, /^10\.89\.0\.2\tweb$/m);
    assert.doesNotMatch(hosts, /10\.90\.0\.2/);
  });

  it('rejects malformed extra hosts and host-gateway without a gateway', () => {
    assert.throws(() => parseExtraHosts(['nocolon'], undefined), /invalid extra host/);
    assert.throws(() => parseExtraHosts(['gw:host-gateway'], undefined), /host-gateway/);
  });

  it('points user-network containers at the embedded DNS and default-bridge ones at the host resolvers', () => {
    assert.equal(
      resolvConfWithEmbeddedDns('10.89.0.1', ['corp.example'], []),
      'nameserver 10.89.0.1\nsearch corp.example\noptions ndots:0\n',
    );
    const host = parseResolvConf('# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch lan\noptions edns0\n');
    assert.equal(resolvConfWithoutEmbeddedDns(host, [], [], []), 'nameserver 192.0.2.53\nsearch lan\noptions edns0\n');
    assert.equal(resolvConfWithoutEmbeddedDns(host, ['9.9.9.9'], ['x'], ['ndots:2']), 'nameserver 9.9.9.9\nsearch x\noptions ndots:2\n');
    assert.match(resolvConfWithoutEmbeddedDns(parseResolvConf('nameserver 127.0.0.1\n'), [], [], []), /^nameserver 8\.8\.8\.8$/m);
  });
});

describe('dns names', () => {
  it('rotates the addresses of a name shared by replicas, case-insensitively', () => {
    const rr = new RoundRobin();
    const entries = [
      { names: ['web', 'app-web-1'], ip: '10.0.0.2' },
      { names: ['Web', 'app-web-2'], ip: '10.0.0.3' },
    ];
    assert.deepEqual(rr.pick('web.', entries), ['10.0.0.2', '10.0.0.3']);
    assert.deepEqual(rr.pick('WEB', entries), ['10.0.0.3', '10.0.0.2']);
    assert.deepEqual(rr.pick('app-web-2', entries), ['10.0.0.3']);
    assert.deepEqual(rr.pick('db', entries), []);
  });

  it('reads reverse-lookup names', () => {
    assert.equal(reverseLookupAddress('4.0.89.10.in-addr.arpa.'), '10.89.0.4');
    assert.equal(reverseLookupAddress('example.com'), undefined);
  });
});

describe('port bindings', () => {
  it('expands bindings, ranges, random ports and publish-all', () => {
    const reqs = planPortRequests(
      { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5300-5310' }], '9000': null },
      true,
      ['80/tcp', '443/tcp'],
    );
    const byKey = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    assert.deepEqual(reqs.map((r) => [r.key, r.hostIp, r.hostPortFrom, r.hostPortTo]).sort(byKey), [
      ['443/tcp', '', 0, 0],
      ['53/udp', '127.0.0.1', 5300, 5310],
      ['80/tcp', '', 8080, 8080],
      ['9000/tcp', '', 0, 0],
    ]);
  });

  it('rejects bad ports and protocols with a 400', () => {
    assert.throws(
      () => planPortRequests({ '80/sctp': [] }, false, []),
      (e: Error) => isEngineError(e, 'invalid') && /sctp/.test(e.message),
    );
    assert.throws(() => planPortRequests({ '80/tcp': [{ HostIp: '', HostPort: '90-80' }] }, false, []), /invalid host port "90-80"/);
    assert.throws(() => planPortRequests({ '0/tcp': [] }, false, []), /invalid container port/);
  });

  it('reports unpublished exposed ports as null', () => {
    assert.deepEqual(reportPorts(['80/tcp', '443'], [{ key: '80/tcp', binding: { HostIp: '0.0.0.0', HostPort: '32768' } }]), {
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }],
      '443/tcp': null,
    });
  });

  it('derives Docker-style MAC addresses from the IPv4 address', () => {
    assert.equal(macForAddress('10.89.0.2'), '02:42:0a:59:00:02');
  });
});
