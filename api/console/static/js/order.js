// One order: header with deadlines counting down, the caller's stage form, the actions,
// the timeline and the flow diagram with the order's run drawn on it.

import { h, append, clear, status, table } from './dom.js';
import { ApiError, getJson, postJson, request } from './http.js';
import { localName, t, term } from './i18n.js';
import { departmentName, isSupervisor, principal } from './session.js';
import { deadline, localTime, tick } from './time.js';
import { renderForm } from './form.js';
import { markRun, viewer } from './diagram.js';
import { attachmentsPanel, caseActions, caseLogPanel, orderDeadline, profilePanel, upgradePanel } from './casework.js';
import { assignControl } from './assign.js';

const ACTION_FORMS = {
  urge: { properties: { note: { type: 'string', maxLength: 2000, title: 'field.note' } } },
  transfer: { required: ['to_department', 'reason'], properties: {
    to_department: { type: 'string', maxLength: 100, pattern: '.', title: 'field.to_department' },
    reason: { type: 'string', maxLength: 2000, title: 'field.reason' } } },
  'send-back': { required: ['reason'], properties: { reason: { type: 'string', maxLength: 2000, title: 'field.reason' } } },
  audit: { required: ['approved'], properties: {
    approved: { type: 'boolean', title: 'field.approved' },
    reason: { type: 'string', maxLength: 2000, title: 'field.reason' } } },
};

export async function showOrder(main, number) {
  const marks = new Map();
  const section = h('section', { class: 'order', 'aria-busy': 'true' }, status(t('loading')));
  main.append(section);
  let ticker = null;

  async function render(notice) {
    let order;
    try {
      order = await getJson(`/api/v1/work-orders/${encodeURIComponent(number)}`);
    } catch (error) {
      clear(section).append(status(error.message, 'error'));
      return;
    }
    const myTasks = principal().role === 'department'
      ? (await getJson('/api/v1/tasks', { business_key: number })).items : [];
    // Each panel is a help beside the stages: one that fails shows its error alone.
    const panel = (build) => build().catch((error) => status(error.message, 'error'));
    const [extra, upgrade, caseLog, files] = await Promise.all([
      panel(() => caseActions(order, render)), panel(() => upgradePanel(order, render)),
      panel(() => caseLogPanel(order, render)), panel(() => attachmentsPanel(order, render))]);
    marks.clear();
    clear(section);
    section.removeAttribute('aria-busy');
    append(section, [
      h('p', {}, h('a', { href: '#/inbox' }, `← ${t('order.back')}`)),
      notice ? status(notice) : null,
      header(order, marks, myTasks, render),
      h('div', { class: 'columns' },
        h('div', { class: 'column' },
          myTasks.map((task) => stageForm(task, render)),
          actions(order, render, extra), caseLog, files),
        h('div', { class: 'column' }, details(order), profilePanel(order), upgrade)),
      diagramPanel(order),
      timeline(order)]);
    tick(section, marks);
  }

  await render();
  ticker = setInterval(() => tick(section, marks), 1000);
  return () => clearInterval(ticker);
}

function header(order, marks, myTasks, rerender) {
  const stages = order.open_stages || [];
  for (const stage of stages) {
    marks.set(`stage-${stage.task_id}`, deadline(stage.seconds_remaining));
    marks.set(`dept-${stage.task_id}`, deadline(stage.department_seconds_remaining));
  }
  const categoryNames = (order.category_names || []).map(localName).join(' › ') || order.category;
  return h('header', { class: 'order-header' },
    h('h2', {}, `${t('order.title')} ${order.number}`),
    h('dl', { class: 'facts' },
      fact(t('order.customer'), order.customer_phone),
      fact(t('order.category'), categoryNames),
      fact(t('order.urgency'), term(order.urgency)),
      fact(t('order.tier'), term(order.customer_tier)),
      fact(t('order.status'), term(order.status)),
      fact(t('order.channel'), term(order.channel)),
      fact(t('order.submitted'), localTime(order.submitted_at)),
      order.repeat_count ? fact(t('flag.repeat'), String(order.repeat_count)) : null,
      order.upgraded ? fact(t('flag.upgraded'), t('form.yes')) : null,
      order.first_contact ? fact(t('intake.onthespot'), t('form.yes')) : null),
    orderDeadline(order, marks),
    stages.length ? table([
      { label: t('col.stage'), value: (s) => localName(s.stage_name) },
      { label: t('col.department'), value: (s) => localName(departmentName(s.department)) },
      { label: t('col.assignee'), value: (s) => {
        const task = myTasks.find((candidate) => candidate.id === s.task_id);
        return [s.assignee || '—', task && isSupervisor() ? assignControl(task, () => rerender(t('action.done'))) : null];
      } },
      { label: t('col.due'), value: (s) => localTime(s.due_at) },
      { label: t('col.left'), value: (s) => (s.paused_since
        ? h('span', { class: 'paused-mark' }, `${t('inbox.paused')} ${localTime(s.paused_since)}`)
        : h('span', { dataset: { countdown: `stage-${s.task_id}` } })) },
      { label: t('order.dept_left'), value: (s) => h('span', { dataset: { countdown: `dept-${s.task_id}` } }) },
    ], stages, { caption: t('order.stages'), rowAttributes: (s) => ({ dataset: { row: s.task_id }, class: [s.overdue ? 'overdue' : '', s.paused_since ? 'paused' : ''].join(' ').trim() }) }) : null);
}

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value ?? '—')];
}

function details(order) {
  const keyFields = Object.entries(order.key_fields || {});
  return h('div', { class: 'details' },
    h('h3', {}, t('order.content')), h('p', { class: 'content' }, order.content ?? ''),
    order.customer_note ? [h('h3', {}, t('order.note')), h('p', {}, order.customer_note)] : null,
    keyFields.length ? [h('h3', {}, t('order.keyfields')), h('dl', { class: 'facts' },
      keyFields.map(([name, value]) => fact(name, typeof value === 'object' ? JSON.stringify(value) : value)))] : null,
    h('h3', {}, t('order.counts')), h('dl', { class: 'facts' },
      Object.entries(order.counts || {}).map(([name, value]) => fact(name, value))));
}

function stageForm(task, rerender) {
  const mine = task.assignee === principal().name;
  const form = renderForm(task.form_schema || {}, { legend: `${t('order.form')}: ${localName(task.stage_name)}` });
  const message = h('div', { 'aria-live': 'polite' });
  const claim = h('button', { type: 'button', onclick: async () => {
    try {
      await request('POST', `/api/v1/tasks/${encodeURIComponent(task.id)}/${mine ? 'unclaim' : 'claim'}`);
      rerender();
    } catch (error) { clear(message).append(status(error.message, 'error')); }
  } }, t(mine ? 'action.unclaim' : 'action.claim'));
  return h('form', { class: 'stage-form', dataset: { task: task.id }, onsubmit: async (event) => {
    event.preventDefault();
    clear(message);
    form.clearErrors();
    try {
      await postJson(`/api/v1/tasks/${encodeURIComponent(task.id)}/complete`, { data: form.read() });
      rerender(t('action.done'));
    } catch (error) {
      if (error instanceof ApiError && error.errors.length) {
        form.showErrors(error.errors);
        message.append(status(t('form.fix'), 'error'));
      } else {
        message.append(status(error.message, 'error'));
      }
    }
  } },
  h('div', { class: 'buttons' }, claim),
  form.element,
  h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('action.complete'))),
  message);
}

function actions(order, rerender, extra) {
  const me = principal();
  if (me.role !== 'department') {
    return extra?.length ? h('section', { class: 'actions' }, h('h3', {}, t('order.actions')), extra) : null;
  }
  const accepting = me.department === order.acceptance_department;
  const holding = (order.responsible_departments || []).includes(me.department);
  const available = [];
  // Urging is for an order another department holds; the API refuses the rest anyway.
  const elsewhere = (order.responsible_departments || []).some((d) => d !== me.department);
  if (accepting && elsewhere && order.status === 'open') available.push(['urge', 'action.urge']);
  if (accepting && order.status === 'open') available.push(['audit', 'action.audit']);
  if (holding && !accepting) available.push(['transfer', 'action.transfer'], ['send-back', 'action.sendback']);
  if (!available.length && !extra?.length) return null;
  return h('section', { class: 'actions' }, h('h3', {}, t('order.actions')),
    available.map(([operation, label]) => actionForm(order, operation, label, rerender)), extra);
}

function actionForm(order, operation, label, rerender) {
  const schema = structuredClone(ACTION_FORMS[operation]);
  for (const property of Object.values(schema.properties)) property.title = t(property.title);
  const form = renderForm(schema, {});
  const message = h('div', { 'aria-live': 'polite' });
  return h('details', { class: 'action' }, h('summary', {}, t(label)),
    h('form', { onsubmit: async (event) => {
      event.preventDefault();
      clear(message);
      try {
        await postJson(`/api/v1/work-orders/${encodeURIComponent(order.number)}/${operation}`, form.read());
        rerender(t('action.done'));
      } catch (error) {
        if (error instanceof ApiError && error.errors.length) form.showErrors(error.errors);
        message.append(status(error.message, 'error'));
      }
    } }, form.element, h('button', { type: 'submit' }, t(label)), message));
}

function timeline(order) {
  return h('section', { class: 'timeline' }, table([
    { label: t('col.opened'), value: (e) => localTime(e.at) },
    { label: t('col.event'), value: (e) => e.type },
    { label: t('col.stage'), value: (e) => e.stage || '' },
    { label: t('col.department'), value: (e) => (e.department ? localName(departmentName(e.department)) : '') },
    { label: t('col.actor'), value: (e) => e.actor || '' },
    { label: t('col.detail'), value: (e) => summarize(e.detail) },
  ], order.timeline || [], { caption: t('order.timeline') }));
}

function summarize(detail) {
  if (!detail || typeof detail !== 'object') return '';
  return Object.entries(detail).filter(([, v]) => v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${v}`).join('; ');
}

function diagramPanel(order) {
  const canvas = h('div', { class: 'diagram', role: 'img', 'aria-label': `${t('order.diagram')} ${order.flow}` });
  const panel = h('section', {}, h('h3', {}, `${t('order.diagram')}: ${order.flow}`), canvas);
  (async () => {
    try {
      const xml = await (await request('GET', `/console/api/work-orders/${encodeURIComponent(order.number)}/diagram`,
        { accept: 'application/xml' })).text();
      const bpmn = await viewer(canvas);
      await bpmn.importXML(xml);
      bpmn.get('canvas').zoom('fit-viewport');
      const events = order.timeline || [];
      markRun(bpmn, {
        done: events.filter((e) => e.type === 'completed' && e.stage).map((e) => e.stage),
        open: (order.open_stages || []).map((s) => s.stage),
        lapsed: (order.lapses || []).filter((e) => e.stage).map((e) => e.stage),
      });
      canvas.dataset.ready = 'true';
    } catch (error) {
      canvas.append(status(error.message, 'error'));
    }
  })();
  return panel;
}
