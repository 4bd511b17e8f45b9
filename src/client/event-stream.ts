// The engine's event stream (GET /events, as dockerode hands it over): one JSON object per line, lines split across
// chunks. Shared by `tscompose events` and the die-event watcher of attached output.
export function onEngineEvents<T>(stream: NodeJS.ReadableStream, handle: (event: T) => void): void {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      let event: T;
      try {
        event = JSON.parse(line) as T;
      } catch {
        continue; // not an event: nothing to report
      }
      handle(event);
    }
  });
}
