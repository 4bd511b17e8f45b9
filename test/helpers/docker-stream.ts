// The Docker Engine API's multiplexed stream (logs and attach without a TTY): 8-byte headers, 1 = stdout, 2 = stderr.
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (let i = 0; i + 8 <= buf.length;) {
    const size = buf.readUInt32BE(i + 4);
    const payload = buf.subarray(i + 8, i + 8 + size).toString();
    if (buf[i] === 1) out.stdout += payload;
    else out.stderr += payload;
    i += 8 + size;
  }
  return out;
}
