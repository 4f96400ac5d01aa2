/**
 * Minimal SVG charts for the benchmark report: horizontal bar charts and time series. Plain SVG 1.1
 * with text labels, readable in any browser or image viewer; no dependencies.
 */

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Drawn in the accent colour (sluice's own bars). */
  readonly highlight?: boolean;
  /** Optional text after the bar (e.g. "1.32×"); defaults to the value. */
  readonly note?: string;
}

export interface BarChartSpec {
  readonly title: string;
  /** Axis label, with its unit, e.g. "ops per CPU-second (millions)". */
  readonly axisLabel: string;
  readonly bars: readonly Bar[];
  /** A vertical reference line, e.g. 1.0 for ratios. */
  readonly reference?: { readonly value: number; readonly label: string };
}

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface TimeSeriesSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Vertical markers, e.g. "Redis killed" at x = 20. */
  readonly markers?: readonly { readonly x: number; readonly label: string }[];
}

/** A chart drawn at a given width; its height is its own. */
export interface Chart {
  readonly width: number;
  readonly height: number;
  /** SVG elements, positioned from (0, 0). */
  readonly body: string;
}

const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const ACCENT = '#1f77b4';
const MUTED = '#9aa5b1';

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round numbers for axis ticks: 1, 2 or 5 × 10^n, about `count` of them up to `max`. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if ((ticks.at(-1) as number) < max) ticks.push(Number(((ticks.at(-1) as number) + step).toPrecision(12)));
  return ticks;
}

function formatNumber(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1).replace(/\.0$/, '');
  return value.toFixed(2).replace(/0$/, '').replace(/\.0$/, '');
}

export function barChart(spec: BarChartSpec, width = 760): Chart {
  const labelWidth = 280;
  const noteWidth = 70;
  const barHeight = 18;
  const gap = 8;
  const top = 34;
  const plotWidth = width - labelWidth - noteWidth - 10;
  const max = Math.max(...spec.bars.map((b) => b.value), spec.reference?.value ?? 0);
  const ticks = niceTicks(max);
  const scale = plotWidth / (ticks.at(-1) as number);
  const plotHeight = spec.bars.length * (barHeight + gap);
  const parts: string[] = [`<text x="0" y="18" ${FONT} font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`];
  for (const tick of ticks) {
    const x = labelWidth + tick * scale;
    parts.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + plotHeight}" stroke="#e3e8ee"/>`);
    parts.push(`<text x="${x}" y="${top + plotHeight + 14}" ${FONT} font-size="11" text-anchor="middle">${formatNumber(tick)}</text>`);
  }
  spec.bars.forEach((bar, i) => {
    const y = top + i * (barHeight + gap);
    const length = Math.max(0, bar.value * scale);
    parts.push(`<text x="${labelWidth - 8}" y="${y + 13}" ${FONT} font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`);
    parts.push(
      `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${bar.highlight ? ACCENT : MUTED}"/>`,
    );
    parts.push(
      `<text x="${labelWidth + length + 5}" y="${y + 13}" ${FONT} font-size="11">${escapeXml(bar.note ?? formatNumber(bar.value))}</text>`,
    );
  });
  if (spec.reference !== undefined) {
    const x = labelWidth + spec.reference.value * scale;
    parts.push(`<line x1="${x}" y1="${top - 8}" x2="${x}" y2="${top + plotHeight}" stroke="#d62728" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${x + 3}" y="${top - 10}" ${FONT} font-size="10" fill="#d62728">${escapeXml(spec.reference.label)}</text>`);
  }
  parts.push(
    `<text x="${labelWidth + plotWidth / 2}" y="${top + plotHeight + 32}" ${FONT} font-size="12" text-anchor="middle">${escapeXml(spec.axisLabel)}</text>`,
  );
  return { width, height: top + plotHeight + 44, body: parts.join('\n') };
}

export function timeSeriesChart(spec: TimeSeriesSpec, width = 760, plotHeight = 200): Chart {
  const left = 60;
  const right = 150; // legend
  const top = 34;
  const plotWidth = width - left - right;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1, ...xs);
  const yTicks = niceTicks(Math.max(0, ...ys));
  const yMax = yTicks.at(-1) as number;
  const xTicks = niceTicks(xMax, 10);
  const xScale = plotWidth / (xTicks.at(-1) as number);
  const sx = (x: number) => (left + x * xScale).toFixed(1);
  const sy = (y: number) => (top + plotHeight - (y / yMax) * plotHeight).toFixed(1);
  const parts: string[] = [`<text x="0" y="18" ${FONT} font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`];
  for (const tick of yTicks) {
    parts.push(`<line x1="${left}" y1="${sy(tick)}" x2="${left + plotWidth}" y2="${sy(tick)}" stroke="#e3e8ee"/>`);
    parts.push(`<text x="${left - 6}" y="${Number(sy(tick)) + 4}" ${FONT} font-size="11" text-anchor="end">${formatNumber(tick)}</text>`);
  }
  for (const tick of xTicks) {
    parts.push(
      `<text x="${sx(tick)}" y="${top + plotHeight + 14}" ${FONT} font-size="11" text-anchor="middle">${formatNumber(tick)}</text>`,
    );
  }
  for (const marker of spec.markers ?? []) {
    parts.push(
      `<line x1="${sx(marker.x)}" y1="${top}" x2="${sx(marker.x)}" y2="${top + plotHeight}" stroke="#d62728" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${Number(sx(marker.x)) + 3}" y="${top + 10}" ${FONT} font-size="10" fill="#d62728">${escapeXml(marker.label)}</text>`,
    );
  }
  spec.series.forEach((series, i) => {
    const path = series.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x)},${sy(y)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="1.8"/>`);
    const ly = top + 10 + i * 18;
    parts.push(
      `<line x1="${left + plotWidth + 12}" y1="${ly}" x2="${left + plotWidth + 30}" y2="${ly}" stroke="${series.color}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${left + plotWidth + 35}" y="${ly + 4}" ${FONT} font-size="11">${escapeXml(series.name)}</text>`);
  });
  parts.push(`<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#52606d"/>`);
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${top + plotHeight + 32}" ${FONT} font-size="12" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${top + plotHeight / 2}" ${FONT} font-size="12" text-anchor="middle" transform="rotate(-90 14 ${top + plotHeight / 2})">${escapeXml(spec.yLabel)}</text>`,
  );
  return { width, height: top + plotHeight + 44, body: parts.join('\n') };
}

/** Stacks charts vertically into one SVG document. */
export function svgDocument(charts: readonly Chart[], padding = 16): string {
  const width = Math.max(...charts.map((c) => c.width)) + 2 * padding;
  let y = padding;
  const groups = charts.map((chart) => {
    const group = `<g transform="translate(${padding} ${y})">\n${chart.body}\n</g>`;
    y += chart.height + padding;
    return group;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">
<rect width="100%" height="100%" fill="white"/>
${groups.join('\n')}
</svg>
`;
}
