/**
 * The benchmark charts (Vega-Lite rendered to SVG in Node): each bar and line is drawn from its data,
 * sluice's bars stand out, labels cannot break the document, and several charts make one document.
 */
import { describe, expect, it } from 'vitest';
import { barChart, renderSvg, timeSeriesChart } from '../bench/lib/charts.js';

/** The drawn bars: fill colour and length in pixels, in drawing order. */
const bars = (svg: string) =>
  [...svg.matchAll(/aria-roledescription="bar" d="M[\d.-]+,[\d.-]+h([\d.]+)v[\d.]+h-[\d.]+Z" fill="(#[0-9a-f]{6})"/g)].map((m) => ({
    length: Number(m[1]),
    fill: m[2],
  }));

describe('bench charts', () => {
  it('draws one bar per value, in the given order, proportional, sluice highlighted, with notes and the axis title', async () => {
    const svg = await renderSvg([
      barChart({
        title: 'ratio',
        axisLabel: 'throughput ratio to bare Express',
        bars: [
          { label: 'zeta', value: 1 },
          { label: 'sluice', value: 0.5, highlight: true, note: '0.50× (+1.2 µs CPU)' },
          { label: 'alpha', value: 0.25 },
        ],
      }),
    ]);
    const drawn = bars(svg);
    expect(drawn).toHaveLength(3);
    expect((drawn[0]?.length ?? 0) / (drawn[1]?.length ?? 1)).toBeCloseTo(2, 5);
    expect((drawn[0]?.length ?? 0) / (drawn[2]?.length ?? 1)).toBeCloseTo(4, 5);
    expect(drawn.map((bar) => bar.fill)).toEqual(['#9aa5b1', '#1f77b4', '#9aa5b1']);
    // Labels in the order given, not sorted.
    expect(svg.indexOf('>zeta<')).toBeLessThan(svg.indexOf('>sluice<'));
    expect(svg.indexOf('>sluice<')).toBeLessThan(svg.indexOf('>alpha<'));
    expect(svg).toContain('>0.50× (+1.2 µs CPU)<');
    expect(svg).toContain('>0.25<'); // a bar without a note shows its value
    expect(svg).toContain('>throughput ratio to bare Express<');
    expect(svg).toContain('>ratio<');
  });

  it('draws the reference line with its label', async () => {
    const spec = { title: 't', axisLabel: 'x', bars: [{ label: 'a', value: 0.8 }] };
    const without = await renderSvg([barChart(spec)]);
    const withReference = await renderSvg([barChart({ ...spec, reference: { value: 1, label: 'bare' } })]);
    expect(without).not.toContain('stroke-dasharray');
    expect(withReference).toMatch(/<line[^>]*stroke="#d62728"[^>]*stroke-dasharray="4,3"/);
    expect(withReference).toContain('>bare<');
  });

  it('escapes labels, so text from a result file cannot break the document', async () => {
    const svg = await renderSvg([barChart({ title: 'T<1> & "2"', axisLabel: 'x', bars: [{ label: '<script>', value: 1 }] })]);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('T&lt;1&gt; &amp; "2"');
  });

  it('draws a time series per line in its colour, with legend, markers and axis titles, charts stacked in one document', async () => {
    const svg = await renderSvg([
      timeSeriesChart({
        title: 'soak',
        xLabel: 'time (s)',
        yLabel: 'requests per second',
        series: [
          {
            name: 'allowed',
            color: '#2ca02c',
            points: [
              [0, 1],
              [1, 3],
              [2, 2],
            ],
          },
          {
            name: 'denied',
            color: '#ff7f0e',
            points: [
              [0, 0],
              [1, 1],
              [2, 0],
            ],
          },
        ],
        markers: [{ x: 1, label: 'Redis killed' }],
      }),
      barChart({ title: 'second chart', axisLabel: 'x', bars: [{ label: 'a', value: 1 }] }),
    ]);
    expect(svg.match(/<svg /g)).toHaveLength(1);
    const lines = [...svg.matchAll(/aria-roledescription="line mark" d="M[^"]+"[^>]*stroke="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(lines).toEqual(['#2ca02c', '#ff7f0e']);
    for (const text of ['>allowed<', '>denied<', '>Redis killed<', '>time (s)<', '>requests per second<', '>second chart<']) {
      expect(svg).toContain(text);
    }
  });
});
