/**
 * The benchmark charts, as Vega-Lite specifications rendered to one SVG document in Node (no browser,
 * no canvas: Vega estimates text widths without one). Two kinds: horizontal bars (one bar per
 * contender, sluice's highlighted) and time series (the soak).
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One chart of a document: a Vega-Lite unit or layer specification without the top-level settings. */
export type ChartSpec = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];
/** One layer of a chart. */
type Layer = Extract<ChartSpec, { layer: unknown }>['layer'][number];

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Drawn in the accent colour (sluice's own bars). */
  readonly highlight?: boolean;
  /** Text after the bar (e.g. "1.32×"); defaults to the value. */
  readonly note?: string;
}

export interface BarChartSpec {
  readonly title: string;
  /** Axis title, with its unit, e.g. "ops per CPU-second (millions)". */
  readonly axisLabel: string;
  readonly bars: readonly Bar[];
  /** A vertical reference line, e.g. at 1 for ratios. */
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
  /** Plot height in pixels. */
  readonly height?: number;
}

const ACCENT = '#1f77b4';
const MUTED = '#9aa5b1';
const MARKER = '#d62728';
const PLOT_WIDTH = 420;
const threeDigits = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });
/** Titles start at the chart's left edge, axis labels included, so stacked charts line up. */
const title = (text: string) => ({ text, anchor: 'start', frame: 'group' }) as const;

/** Whether a contender's label names sluice (its bars are highlighted). */
export const isSluice = (label: string): boolean => label.toLowerCase().includes('sluice');

/**
 * Dashed vertical lines at `field` of each datum, each labelled with its `label` at the top of the plot:
 * `above` it (a bar chart's reference, clear of the bars) or just `inside` it (a time series' event).
 */
function markerLayers(values: readonly { readonly label: string }[], field: string, place: 'above' | 'inside'): Layer[] {
  const data = { values: [...values] };
  const at = { field, type: 'quantitative' } as const;
  const above = place === 'above';
  return [
    { data, mark: { type: 'rule', color: MARKER, strokeDash: [4, 3] }, encoding: { x: at } },
    {
      data,
      mark: { type: 'text', color: MARKER, align: 'left', baseline: above ? 'bottom' : 'top', dx: 3, dy: above ? -2 : 3, fontSize: 10 },
      encoding: { x: at, y: { value: 0 }, text: { field: 'label' } },
    },
  ];
}

export function barChart(spec: BarChartSpec): ChartSpec {
  const values = spec.bars.map((bar) => ({
    label: bar.label,
    value: bar.value,
    note: bar.note ?? threeDigits.format(bar.value),
    highlight: bar.highlight === true,
  }));
  const y = { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 0, labelFontSize: 12 } } as const;
  const x = { field: 'value', type: 'quantitative', title: spec.axisLabel } as const;
  const layer: Layer[] = [
    {
      mark: { type: 'bar', height: { band: 0.75 } },
      encoding: {
        y,
        x,
        color: { field: 'highlight', type: 'nominal', scale: { domain: [true, false], range: [ACCENT, MUTED] }, legend: null },
      },
    },
    { mark: { type: 'text', align: 'left', baseline: 'middle', dx: 4, fontSize: 11 }, encoding: { y, x, text: { field: 'note' } } },
  ];
  if (spec.reference !== undefined) layer.push(...markerLayers([spec.reference], 'value', 'above'));
  return {
    title: title(spec.title),
    width: PLOT_WIDTH,
    height: { step: 24 },
    data: { values },
    layer,
  };
}

export function timeSeriesChart(spec: TimeSeriesSpec): ChartSpec {
  const values = spec.series.flatMap((series) => series.points.map(([x, y]) => ({ series: series.name, x, y })));
  const layer: Layer[] = [
    {
      data: { values },
      mark: { type: 'line', strokeWidth: 1.8 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: spec.xLabel },
        y: { field: 'y', type: 'quantitative', title: spec.yLabel },
        color: {
          field: 'series',
          type: 'nominal',
          sort: null,
          scale: { domain: spec.series.map((s) => s.name), range: spec.series.map((s) => s.color) },
          legend: { title: null, orient: 'right' },
        },
      },
    },
  ];
  if (spec.markers !== undefined && spec.markers.length > 0) layer.push(...markerLayers(spec.markers, 'x', 'inside'));
  return { title: title(spec.title), width: PLOT_WIDTH + 140, height: spec.height ?? 200, layer };
}

/** The charts stacked into one SVG document. */
export async function renderSvg(charts: readonly ChartSpec[]): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 16,
    spacing: 32,
    config: { font: 'Helvetica, Arial, sans-serif', title: { fontSize: 14 } },
    vconcat: [...charts],
    // Each chart has its own colours and legend (the default would merge them across charts).
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  };
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
