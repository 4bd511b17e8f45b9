// The address a container last had on each network, which it gets again when it restarts and the address
// is still free (as with Docker, a restarted container keeps its address when it can).
const LIMIT = 4096;

export class PreviousAddresses {
  /** by "<container id>/<network id>"; bounded: oldest entries go first */
  private readonly addresses = new Map<string, string>();

  remember(containerId: string, networkId: string, ip: string): void {
    const key = `${containerId}/${networkId}`;
    this.addresses.delete(key);
    this.addresses.set(key, ip);
    if (this.addresses.size > LIMIT) this.addresses.delete(this.addresses.keys().next().value!);
  }

  of(containerId: string, networkId: string): string | undefined {
    return this.addresses.get(`${containerId}/${networkId}`);
  }
}
