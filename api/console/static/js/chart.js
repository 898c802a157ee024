// A horizontal bar chart as inline SVG, drawn with DOM calls (no library, no markup
// strings): one bar per row, its label and value written beside it as text.

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

// bars: [{label, value}] (value a number or null); percent: values are shares 0..1.
export function barChart(bars, { title, percent = false } = {}) {
  const shown = bars.filter((bar) => typeof bar.value === 'number' && Number.isFinite(bar.value));
  const rowHeight = 24;
  const labelWidth = 260;
  const barWidth = 420;
  const width = labelWidth + barWidth + 90;
  const height = Math.max(1, shown.length) * rowHeight + 30;
  const top = percent ? 1 : Math.max(...shown.map((bar) => bar.value), 0) || 1;
  const chart = svg('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': title || '' });
  chart.append(svg('title', {}, title || ''));
  shown.forEach((bar, index) => {
    const y = 20 + index * rowHeight;
    const length = Math.max(0, (bar.value / top) * barWidth);
    const text = percent ? `${(bar.value * 100).toFixed(1)} %` : String(Math.round(bar.value * 1000) / 1000);
    const group = svg('g', { class: 'bar', 'data-label': bar.label, 'data-value': bar.value });
    // A long name is shortened to fit; its whole text is the bar's tooltip.
    const short = bar.label.length > 36 ? `${bar.label.slice(0, 35)}…` : bar.label;
    group.append(
      svg('title', {}, `${bar.label}: ${text}`),
      svg('text', { x: labelWidth - 8, y: y + 15, 'text-anchor': 'end', class: 'bar-label' }, short),
      svg('rect', { x: labelWidth, y: y + 3, width: length, height: rowHeight - 8, class: 'bar-fill' }),
      svg('text', { x: labelWidth + length + 6, y: y + 15, class: 'bar-value' }, text));
    chart.append(group);
  });
  chart.append(svg('line', { x1: labelWidth, y1: 16, x2: labelWidth, y2: height - 6, class: 'axis' }));
  return chart;
}
