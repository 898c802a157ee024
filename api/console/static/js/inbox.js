// The inbox: a department's open stages (a manager's: everyone's), soonest due first,
// time left counting down, overdue rows red, paused ones marked; a person's view of
// theirs and the department's unassigned; a supervisor assigns; filters (repeat,
// upgraded...); j/k/arrows, Enter, r; polled.

import { h, clear, status } from './dom.js';
import { getJson } from './http.js';
import { localName, t, term } from './i18n.js';
import { departmentName, isSupervisor, principal } from './session.js';
import { assignControl } from './assign.js';
import { deadline, localTime, tick } from './time.js';

const POLL_MS = Number(document.body.dataset.pollMs) || 5000;

export async function showInbox(main) {
  const person = Boolean(principal().staff_id) && principal().role === 'department';
  const filters = { overdue: false, process_key: '', assigned: person ? 'mine-unassigned' : '', search: '', urgency: '', business: '', repeat: false, upgraded: false };
  const marks = new Map();
  let tasks = [];
  let orders = new Map(); // number -> the order's summary (urgency, tier, category)
  const flows = new Set();
  const businesses = new Set();
  const businessSelect = h('select', { id: 'filter-business', onchange: (e) => { filters.business = e.target.value; render(); } },
    h('option', { value: '' }, t('inbox.all')));

  const flowSelect = h('select', { id: 'filter-flow', onchange: (e) => { filters.process_key = e.target.value; load(); } },
    h('option', { value: '' }, t('inbox.all')));
  const controls = h('form', { class: 'filters', 'aria-label': t('inbox.filters'), onsubmit: (e) => e.preventDefault() },
    h('div', { class: 'control' },
      h('input', { id: 'filter-overdue', type: 'checkbox', onchange: (e) => { filters.overdue = e.target.checked; load(); } }),
      h('label', { for: 'filter-overdue' }, t('inbox.overdue'))),
    h('div', { class: 'control' }, h('label', { for: 'filter-flow' }, t('inbox.flow')), flowSelect),
    h('div', { class: 'control' }, h('label', { for: 'filter-assigned' }, t('inbox.mine')), viewSelect()),
    h('div', { class: 'control' }, h('label', { for: 'filter-urgency' }, t('order.urgency')),
      h('select', { id: 'filter-urgency', onchange: (e) => { filters.urgency = e.target.value; render(); } },
        h('option', { value: '' }, t('inbox.all')),
        ['urgent', 'normal', 'suggestion'].map((u) => h('option', { value: u }, term(u))))),
    h('div', { class: 'control' }, h('label', { for: 'filter-business' }, t('order.category')), businessSelect),
    checkbox('filter-repeat', 'inbox.repeat', (value) => { filters.repeat = value; render(); }),
    checkbox('filter-upgraded', 'inbox.upgraded', (value) => { filters.upgraded = value; render(); }),
    h('div', { class: 'control' }, h('label', { for: 'filter-search' }, t('inbox.search')),
      h('input', { id: 'filter-search', type: 'search', oninput: (e) => { filters.search = e.target.value.trim(); render(); } })));
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const list = h('div', { id: 'inbox-list' });
  main.append(h('section', { class: 'inbox' },
    h('h2', {}, t('inbox.title')), controls,
    h('p', { class: 'help' }, t('inbox.keys')), summary, list));

  function viewSelect() {
    const views = person ? ['mine-unassigned', 'mine', 'none', ''] : ['', 'none'];
    const select = h('select', { id: 'filter-assigned', onchange: (e) => { filters.assigned = e.target.value; load(); } },
      views.map((view) => h('option', { value: view }, t(`inbox.view.${view || 'all'}`))));
    select.value = filters.assigned;
    return select;
  }

  async function load(force = false) {
    const query = { per_page: 100, overdue: filters.overdue ? 'true' : '', process_key: filters.process_key };
    if (filters.assigned.startsWith('mine')) query.mine = 'true';
    if (filters.assigned === 'mine-unassigned' || filters.assigned === 'none') query.unassigned = 'true';
    const me = principal();
    const orderQuery = { status: 'open', per_page: 100, department: me.role === 'department' ? me.department : '' };
    try {
      const [page, summaries] = await Promise.all([
        getJson('/api/v1/tasks', query),
        // The orders' urgency and category, for the columns and filters (best effort).
        getJson('/api/v1/work-orders', orderQuery).catch(() => ({ items: [] }))]);
      tasks = page.items;
      orders = new Map(summaries.items.map((order) => [order.number, order]));
      for (const order of summaries.items) {
        const business = order.category.split('/')[0];
        if (!businesses.has(business)) {
          businesses.add(business);
          businessSelect.append(h('option', { value: business }, business));
        }
      }
      marks.clear();
      for (const task of tasks) {
        marks.set(task.id, deadline(task.seconds_remaining));
        if (!flows.has(task.process_key)) {
          flows.add(task.process_key);
          flowSelect.append(h('option', { value: task.process_key }, task.process_key));
        }
      }
      summary.textContent = `${page.total ?? tasks.length} ${t('inbox.count')} · ${t('inbox.updated')} ${new Date().toLocaleTimeString()}`;
      // A supervisor choosing a handler keeps the row until the choice is made.
      if (force !== true && list.contains(document.activeElement) && document.activeElement.matches('select, button')) return;
      render();
    } catch (error) {
      clear(list).append(status(error.message, 'error'));
    }
  }

  function render() {
    const focusedId = document.activeElement?.closest?.('[data-row]')?.dataset.row;
    const supervising = isSupervisor();
    const shown = tasks.filter((task) => {
      const order = orders.get(task.business_key);
      return (!filters.search || task.business_key.includes(filters.search))
        && (!filters.urgency || order?.urgency === filters.urgency)
        && (!filters.business || order?.category.split('/')[0] === filters.business)
        && (!filters.repeat || order?.repeat_count > 0)
        && (!filters.upgraded || order?.upgraded);
    });
    clear(list);
    if (!shown.length) { list.append(status(t('inbox.empty'))); return; }
    const rows = shown.map((task) => h('tr', {
      tabindex: '0', dataset: { row: task.id, order: task.business_key },
      class: [task.overdue ? 'overdue' : '', task.paused_since ? 'paused' : ''].join(' ').trim(),
      onclick: () => open(task), onkeydown: (event) => { if (event.key === 'Enter') open(task); },
    },
    h('td', {}, h('a', { href: `#/order/${encodeURIComponent(task.business_key)}`, tabindex: '-1' }, task.business_key),
      flags(orders.get(task.business_key))),
    h('td', {}, localName(task.stage_name)),
    h('td', {}, term(orders.get(task.business_key)?.urgency) ?? '—'),
    h('td', {}, orders.get(task.business_key)?.category ?? '—'),
    h('td', {}, localName(departmentName(task.department))),
    h('td', {}, task.assignee || '—', supervising ? assignControl(task, () => load(true)) : null),
    h('td', {}, task.process_key),
    h('td', {}, localTime(task.due_at)),
    task.paused_since
      ? h('td', { class: 'countdown paused-mark' }, `${t('inbox.paused')} ${localTime(task.paused_since)}`)
      : h('td', { class: 'countdown', dataset: { countdown: task.id } })));
    list.append(h('table', { class: 'tasks' },
      h('caption', { class: 'visually-hidden' }, t('inbox.title')),
      h('thead', {}, h('tr', {}, ['col.order', 'col.stage', 'order.urgency', 'order.category', 'col.department', 'col.assignee', 'col.flow', 'col.due', 'col.left']
        .map((key) => h('th', { scope: 'col' }, t(key))))),
      h('tbody', {}, rows)));
    tick(list, marks);
    const again = focusedId && list.querySelector(`[data-row="${CSS.escape(focusedId)}"]`);
    if (again) again.focus();
  }

  function checkbox(id, label, onChange) {
    return h('div', { class: 'control' },
      h('input', { id, type: 'checkbox', onchange: (e) => onChange(e.target.checked) }),
      h('label', { for: id }, t(label)));
  }

  function open(task) {
    window.location.hash = `#/order/${encodeURIComponent(task.business_key)}`;
  }

  function onKey(event) {
    if (event.target.matches('input, select, textarea')) return;
    const rows = [...list.querySelectorAll('[data-row]')];
    const index = rows.indexOf(document.activeElement);
    if (event.key === 'j' || event.key === 'ArrowDown') {
      rows[Math.min(index + 1, rows.length - 1)]?.focus();
      event.preventDefault();
    } else if (event.key === 'k' || event.key === 'ArrowUp') {
      rows[Math.max(index - 1, 0)]?.focus();
      event.preventDefault();
    } else if (event.key === 'r') {
      load();
    }
  }

  document.addEventListener('keydown', onKey);
  const ticker = setInterval(() => tick(list, marks), 1000);
  const poller = setInterval(load, POLL_MS);
  await load();
  return () => {
    clearInterval(ticker);
    clearInterval(poller);
    document.removeEventListener('keydown', onKey);
  };
}

// The order's repeat and upgraded marks, as words (not colour alone).
function flags(order) {
  if (!order) return null;
  return [
    order.repeat_count > 0 ? h('span', { class: 'flag repeat', title: t('inbox.repeat') }, ` ${t('flag.repeat')} ${order.repeat_count}`) : null,
    order.upgraded ? h('span', { class: 'flag upgraded', title: t('inbox.upgraded') }, ` ${t('flag.upgraded')}`) : null];
}
