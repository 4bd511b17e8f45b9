// Whether an ended container's network namespace can be handed to the next container: its socket counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { socketsAllClosed } from '../../../src/engine/network/veth.js';

const quiet = `sockets: used 0
TCP: inuse 0 orphan 3 tw 0 alloc 1 mem 50
UDP: inuse 0 mem 0
UDPLITE: inuse 0
RAW: inuse 0
FRAG: inuse 0 memory 0
TCP6: inuse 0
UDP6: inuse 0
`;

test('a namespace with no socket in use and none in TIME_WAIT is quiet (orphans, alloc and mem are host-wide)', () => {
  assert.equal(socketsAllClosed(quiet), true);
});

test('a TCP connection in TIME_WAIT, a socket in use or an open IPv6 socket make it not quiet', () => {
  assert.equal(socketsAllClosed(quiet.replace('tw 0', 'tw 1')), false);
  assert.equal(socketsAllClosed(quiet.replace('sockets: used 0', 'sockets: used 2')), false);
  assert.equal(socketsAllClosed(quiet.replace('UDP6: inuse 0', 'UDP6: inuse 1')), false);
});

test('output that is not sockstat is never taken as quiet', () => {
  assert.equal(socketsAllClosed(''), false);
  assert.equal(socketsAllClosed('nsenter: cannot open /run/netns/x: No such file or directory'), false);
});
