import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, niceTicks, svgDocument, timeSeriesChart } from '../bench/svgChart.js';

describe('bench SVG charts', () => {
  it('picks round ticks that cover the maximum', () => {
    expect(niceTicks(7.3)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.9)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('escapes labels, so user text cannot break the document', () => {
    expect(escapeXml('a<b & "c"')).toBe('a&#60;b &#38; &#34;c&#34;');
    const doc = svgDocument([barChart({ title: 'T<1>', axisLabel: 'x', bars: [{ label: '<script>', value: 1 }] })]);
    expect(doc).not.toContain('<script>');
  });

  it('draws one bar per value, proportional, with the axis label and reference line', () => {
    const chart = barChart({
      title: 'ratio',
      axisLabel: 'throughput ratio to bare Express',
      bars: [
        { label: 'bare', value: 1 },
        { label: 'sluice', value: 0.5, highlight: true },
      ],
      reference: { value: 1, label: 'bare' },
    });
    const widths = [...chart.body.matchAll(/<rect x="\d+" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect((widths[0] as number) / (widths[1] as number)).toBeCloseTo(2, 5);
    expect(chart.body).toContain('throughput ratio to bare Express');
    expect(chart.body).toContain('stroke-dasharray');
  });

  it('draws a time series with legend, markers and axis labels into a well-formed document', () => {
    const doc = svgDocument([
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
        ],
        markers: [{ x: 1, label: 'Redis killed' }],
      }),
    ]);
    expect(doc.startsWith('<?xml')).toBe(true);
    expect(doc).toContain('M60.0,');
    expect(doc).toContain('Redis killed');
    expect(doc).toContain('requests per second');
    expect(doc.match(/<g /g)).toHaveLength(1);
    expect(doc.match(/<\/g>/g)).toHaveLength(1);
  });
});
