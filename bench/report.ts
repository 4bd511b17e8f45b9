// Turns benchmark rows into one markdown table: tscompose's figure next to each peer measured in
// the same run, with the ratio (tscompose ÷ peer: below 1 is faster than the peer).

/** The row every bench module returns (same shape as bench/lib.ts's BenchRow). A row whose figures are not
 *  durations (e.g. memory) names its unit; medianMs/spreadMs/peerMedianMs then hold values in that unit. */
export interface ReportRow {
  case: string;
  tool: string;
  medianMs: number;
  spreadMs: number;
  peer?: string;
  peerMedianMs?: number;
  peerSpreadMs?: number;
  unit?: string;
}

export interface ModuleOutcome {
  module: string;
  rows: ReportRow[];
  note?: string;
}

export interface Comparison {
  module: string;
  case: string;
  tool: string;
  medianMs: number;
  spreadMs: number;
  peer?: string;
  peerMedianMs?: number;
  peerSpreadMs?: number;
  ratio?: number;
  unit?: string;
}

const isOurs = (tool: string) => /tscompose|bundled/i.test(tool);

/** Pairs each tscompose row with its peers: from the row's own peer fields, or from rows of other
 *  tools that share its case. Rows of a case with no tscompose figure are listed on their own. */
export function compare(outcomes: ModuleOutcome[]): Comparison[] {
  const out: Comparison[] = [];
  for (const { module, rows } of outcomes) {
    const cases = [...new Set(rows.map((r) => r.case))];
    for (const name of cases) {
      const inCase = rows.filter((r) => r.case === name);
      const ours = inCase.filter((r) => isOurs(r.tool));
      const primaries = ours.length ? ours : inCase.filter((r) => r.peer !== undefined).slice(0, 1);
      const others = inCase.filter((r) => !primaries.includes(r));
      if (!primaries.length) {
        for (const r of inCase) out.push({ module, case: name, tool: r.tool, medianMs: r.medianMs, spreadMs: r.spreadMs, unit: r.unit });
        continue;
      }
      for (const p of primaries) {
        const base = { module, case: name, tool: p.tool, medianMs: p.medianMs, spreadMs: p.spreadMs, unit: p.unit };
        const peers: { peer: string; peerMedianMs: number; peerSpreadMs?: number }[] = [];
        if (p.peer !== undefined && p.peerMedianMs !== undefined) {
          // the peer's own row in the same case, when the module reports one, carries its spread
          const own = others.find((o) => o.tool === p.peer && o.medianMs === p.peerMedianMs);
          peers.push({ peer: p.peer, peerMedianMs: p.peerMedianMs, peerSpreadMs: p.peerSpreadMs ?? own?.spreadMs });
        }
        for (const o of others)
          if (!isOurs(o.tool) && !peers.some((x) => x.peer === o.tool))
            peers.push({ peer: o.tool, peerMedianMs: o.medianMs, peerSpreadMs: o.spreadMs });
        if (!peers.length) out.push(base);
        for (const peer of peers) out.push({ ...base, ...peer, ratio: peer.peerMedianMs > 0 ? p.medianMs / peer.peerMedianMs : undefined });
      }
    }
  }
  return out;
}

const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const figure = (median?: number, spread?: number, unit = 'ms') =>
  median === undefined ? '–' : spread === undefined ? `${ms(median)} ${unit}` : `${ms(median)} ${unit} ± ${ms(spread)}`;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownReport(outcomes: ModuleOutcome[], meta: { date: string; host: string }): string {
  const lines = [
    '# tscompose benchmarks',
    '',
    `${meta.date} on ${meta.host}. Median ± spread; ratio = tscompose ÷ peer (below 1 = faster than the peer).`,
    '',
    '| benchmark | case | tool | median ± spread | peer | peer median ± spread | ratio |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of compare(outcomes)) {
    lines.push(
      `| ${cell(c.module)} | ${cell(c.case)} | ${cell(c.tool)} | ${figure(c.medianMs, c.spreadMs, c.unit)} | ${cell(c.peer ?? '–')} | ${figure(c.peerMedianMs, c.peerSpreadMs, c.unit)} | ${c.ratio === undefined ? '–' : `${c.ratio.toFixed(2)}×`} |`,
    );
  }
  const notes = outcomes.filter((o) => o.note);
  if (notes.length) {
    lines.push('', '## Notes', '');
    for (const o of notes) lines.push(`- ${o.module}: ${cell(o.note!)}`);
  }
  return `${lines.join('\n')}\n`;
}
