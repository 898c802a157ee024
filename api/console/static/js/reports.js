// Managers' reports as tables: timeliness, at risk, KPI, hotspots, order deadlines and
// the outcome reports (first contact, repeats, upgrades, problem analysis, handlers,
// endings); a bar chart (our own inline SVG) where a report has a rate or a figure per
// group; a window picker and the CSV of what is shown (downloaded with the token in a
// header, never in a URL).

import { h, append, clear, status, table } from './dom.js';
import { getJson, request } from './http.js';
import { localName, t } from './i18n.js';
import { departmentName, principal } from './session.js';
import { barChart } from './chart.js';

const OUTCOME_GROUPS = ['acceptance_department', 'category', 'month', 'city'];
// chart: which list, which column labels a bar and which gives its length.
const REPORTS = {
  timeliness: { label: 'reports.timeliness', window: true, path: '/api/v1/reports/timeliness',
    groups: ['department', 'stage', 'flow', 'category', 'city'],
    chart: { list: 'groups', label: 'group', value: 'on_time_rate', percent: true, title: 'chart.ontime' } },
  'at-risk': { label: 'reports.atrisk', window: false, path: '/api/v1/reports/at-risk' },
  kpi: { label: 'reports.kpi', month: true, path: '/api/v1/reports/kpi',
    chart: { list: 'departments', label: 'department', value: 'year.total_deduction', title: 'chart.kpi' } },
  hotspots: { label: 'reports.hotspots', window: true, path: '/api/v1/reports/hotspots' },
  'order-deadlines': { label: 'reports.orderdeadlines', window: true, path: '/api/v1/reports/order-deadlines',
    chart: { list: 'groups', label: 'acceptance_department', value: 'on_time_rate', percent: true, title: 'chart.orderdeadlines' } },
  'first-contact': { label: 'reports.firstcontact', window: true, path: '/api/v1/reports/first-contact',
    groups: OUTCOME_GROUPS, chart: { list: 'groups', label: 'group', value: 'rate', percent: true, title: 'chart.firstcontact' } },
  repeats: { label: 'reports.repeats', window: true, path: '/api/v1/reports/repeats',
    groups: OUTCOME_GROUPS, chart: { list: 'groups', label: 'group', value: 'rate', percent: true, title: 'chart.repeats' } },
  upgrades: { label: 'reports.upgrades', window: true, path: '/api/v1/reports/upgrades' },
  problems: { label: 'reports.problems', window: true, path: '/api/v1/reports/problems' },
  handlers: { label: 'reports.handlers', window: true, path: '/api/v1/reports/handlers' },
  endings: { label: 'reports.endings', window: true, path: '/api/v1/reports/endings' },
};
// What a department may read of them (its own figures).
const DEPARTMENT_REPORTS = ['at-risk', 'first-contact', 'repeats', 'upgrades', 'problems', 'handlers'];

export async function showReports(main) {
  const names = principal().role === 'department' ? DEPARTMENT_REPORTS : Object.keys(REPORTS);
  let current = names[0];
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 30 * 86400000);
  const iso = (date) => date.toISOString().slice(0, 10);
  const inputs = {
    from: h('input', { id: 'report-from', type: 'date', value: iso(monthAgo) }),
    to: h('input', { id: 'report-to', type: 'date', value: iso(new Date(today.getTime() + 86400000)) }),
    year: h('input', { id: 'report-year', type: 'number', min: 2000, max: 2199, value: today.getUTCFullYear() }),
    month: h('input', { id: 'report-month', type: 'number', min: 1, max: 12, value: today.getUTCMonth() + 1 }),
    groupBy: h('select', { id: 'report-group' }),
  };
  const tabs = h('div', { role: 'tablist', class: 'tabs' });
  const controls = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } });
  const output = h('div', { id: 'report-output', role: 'tabpanel', 'aria-live': 'polite' });
  main.append(h('section', { class: 'reports' }, h('h2', {}, t('reports.title')), tabs, controls, output));

  function query() {
    const report = REPORTS[current];
    if (report.month) return { year: inputs.year.value, month: inputs.month.value };
    const q = report.window ? { from: inputs.from.value, to: inputs.to.value } : {};
    if (report.groups) q.group_by = inputs.groupBy.value;
    return q;
  }

  function renderControls() {
    tabs.replaceChildren(...names.map((name) => h('button', {
      type: 'button', role: 'tab', id: `tab-${name}`, 'aria-selected': String(name === current),
      onclick: () => { current = name; renderControls(); load(); },
    }, t(REPORTS[name].label))));
    const report = REPORTS[current];
    if (report.groups) {
      inputs.groupBy.replaceChildren(...report.groups.map((g) => h('option', { value: g }, g)));
    }
    const field = (key, label) => h('div', { class: 'control' }, h('label', { for: inputs[key].id }, t(label)), inputs[key]);
    append(clear(controls), [
      report.window ? [field('from', 'reports.from'), field('to', 'reports.to')] : null,
      report.month ? [field('year', 'reports.year'), field('month', 'reports.month')] : null,
      report.groups ? field('groupBy', 'reports.groupby') : null,
      h('button', { type: 'submit' }, t('reports.show')),
      h('button', { type: 'button', id: 'download-csv', onclick: download }, t('reports.csv'))]);
  }

  let latest = 0; // a slower, older answer never replaces a newer one
  async function load() {
    const asked = ++latest;
    clear(output).append(status(t('loading')));
    try {
      const data = await getJson(REPORTS[current].path, query());
      if (asked !== latest) return;
      clear(output).append(renderReport(current, data));
      const chart = REPORTS[current].chart;
      if (chart && Array.isArray(data?.[chart.list])) {
        const bars = data[chart.list].map(flatten).map((row) => ({
          label: String(localName(departmentName(row[chart.label])) ?? '—'), value: row[chart.value] }));
        output.prepend(h('figure', { class: 'chart-figure', id: 'report-chart' },
          barChart(bars, { title: t(chart.title), percent: chart.percent }),
          h('figcaption', {}, `${t('reports.chart')}: ${t(chart.title)} (${chart.value})`)));
      }
    } catch (error) {
      if (asked === latest) clear(output).append(status(error.message, 'error'));
    }
  }

  async function download() {
    try {
      const response = await request('GET', REPORTS[current].path, { query: { ...query(), format: 'csv' }, accept: 'text/csv' });
      const blob = await response.blob();
      const link = h('a', { href: URL.createObjectURL(blob), download: `${current}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    } catch (error) {
      clear(output).append(status(error.message, 'error'));
    }
  }

  renderControls();
  await load();
  return null;
}

// Any report: its scalar facts (window, time zone) and a table per list of rows, each
// row's nested figures flattened one level (month.deduction, year.formula).
function renderReport(name, data) {
  const facts = Object.entries(data || {}).filter(([, v]) => v !== null && typeof v !== 'object');
  const lists = Object.entries(data || {}).filter(([, v]) => Array.isArray(v) && v.some((r) => r && typeof r === 'object'));
  const output = h('div', {}, facts.length ? h('dl', { class: 'facts' },
    facts.map(([key, value]) => [h('dt', {}, key), h('dd', {}, String(value))])) : null);
  for (const [key, rows] of lists) {
    const flat = rows.map(flatten);
    const columns = [...new Set(flat.flatMap((row) => Object.keys(row)))];
    output.append(flat.length ? h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': `${name}: ${key}` },
      table(columns.map((column) => ({ label: column, value: (row) => cell(column, row[column]) })),
        flat, { caption: `${name}: ${key}` })) : status(`${key}: ${t('reports.empty')}`));
  }
  if (!lists.length) output.append(status(t('reports.empty')));
  return output;
}

function flatten(row) {
  const flat = {};
  for (const [key, value] of Object.entries(row)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (innerValue === null || typeof innerValue !== 'object') flat[`${key}.${inner}`] = innerValue;
      }
    } else if (!Array.isArray(value)) {
      flat[key] = value;
    } else if (key.endsWith('orders') && value.every((item) => typeof item === 'string')) {
      flat[key] = value.join(', '); // a figure's order numbers
    }
  }
  return flat;
}

function cell(key, value) {
  if (value === null || value === undefined) return '—';
  if (key === 'department' || key.endsWith('_department')) return localName(departmentName(value));
  if (key === 'name') return localName(value);
  if (typeof value === 'number' && !Number.isInteger(value)) return value.toFixed(3);
  return String(value);
}
