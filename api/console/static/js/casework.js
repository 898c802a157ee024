// Case work on one order, beside its stages: the order deadline, pause and resume,
// withdraw and cancel, the case log, attachments, the customer's profile, and for
// managers escalation and liability judgments. Each form posts to its API endpoint and
// shows the API's field errors on their fields.

import { h, clear, status, table } from './dom.js';
import { ApiError, getJson, postJson, request } from './http.js';
import { localName, t, term } from './i18n.js';
import { departmentName, isSupervisor, principal } from './session.js';
import { deadline, localTime } from './time.js';
import { renderForm } from './form.js';

let choicesPromise = null;
export function choices() {
  if (!choicesPromise) {
    choicesPromise = getJson('/console/api/choices').catch((error) => { choicesPromise = null; throw error; });
  }
  return choicesPromise;
}

// The order deadline (工单时限) with its time left, counting down unless paused.
export function orderDeadline(order, marks) {
  const od = order.order_deadline;
  if (!od) return null;
  let left;
  if (od.met !== null && od.met !== undefined) left = od.met ? t('deadline.met') : t('deadline.missed');
  else if (od.paused) left = t('deadline.paused');
  else {
    marks.set('order-deadline', deadline(od.seconds_remaining));
    left = h('span', { class: 'countdown', dataset: { countdown: 'order-deadline' } });
  }
  return h('p', { class: 'order-deadline', id: 'order-deadline' },
    h('strong', {}, `${t('deadline.title')}: `), `${localTime(od.due_at)} · `, left);
}

// A form of `schema` posting to /work-orders/{n}/{operation}, folded in a <details>.
export function operationForm(order, operation, label, schema, rerender, { method = 'POST' } = {}) {
  for (const property of Object.values(schema.properties)) property.title = t(property.title);
  const form = renderForm(schema, {});
  const message = h('div', { 'aria-live': 'polite' });
  return h('details', { class: 'action', dataset: { operation } }, h('summary', {}, t(label)),
    h('form', { onsubmit: async (event) => {
      event.preventDefault();
      clear(message);
      try {
        await request(method, `/api/v1/work-orders/${encodeURIComponent(order.number)}/${operation}`, { json: form.read() });
        rerender(t('action.done'));
      } catch (error) {
        if (error instanceof ApiError && error.errors.length) form.showErrors(error.errors);
        message.append(status(error.message, 'error'));
      }
    } }, form.element, h('button', { type: 'submit' }, t(label)), message));
}

// Pause / resume (the department holding a stage), withdraw (the acceptance department,
// an integrator), cancel a duplicate (a supervisor).
export async function caseActions(order, rerender) {
  const me = principal();
  if (order.status !== 'open' || !['department', 'integrator'].includes(me.role)) return [];
  const mine = (order.open_stages || []).filter((s) => s.department === me.department);
  const forms = [];
  if (mine.some((s) => !s.paused_since) && me.role === 'department') {
    const { pause_reasons: reasons } = await choices();
    forms.push(operationForm(order, 'pause', 'action.pause', { required: ['reason'], properties: {
      reason: { type: 'string', enum: reasons.map((r) => r.code), 'x-enum-names': reasons.map((r) => r.name), title: 'field.reason' },
      note: { type: 'string', maxLength: 2000, title: 'field.note' } } }, rerender));
  }
  const paused = (order.open_stages || []).some((s) => s.paused_since && (me.role === 'integrator' || s.department === me.department));
  if (paused) {
    forms.push(operationForm(order, 'resume', 'action.resume', { properties: {
      note: { type: 'string', maxLength: 2000, title: 'field.note' } } }, rerender));
  }
  if (me.role === 'integrator' || me.department === order.acceptance_department) {
    forms.push(operationForm(order, 'withdraw', 'action.withdraw', { required: ['reason'], properties: {
      reason: { type: 'string', maxLength: 2000, title: 'field.reason' } } }, rerender));
  }
  if (isSupervisor()) {
    forms.push(operationForm(order, 'cancel', 'action.cancel', { required: ['reason', 'duplicate_of'], properties: {
      duplicate_of: { type: 'string', maxLength: 100, pattern: '.', title: 'field.duplicate_of' },
      reason: { type: 'string', maxLength: 2000, title: 'field.reason' } } }, rerender));
  }
  return forms;
}

// Escalate (a manager: the customer went above us) and judge liability, with every
// version of the judgment.
export async function upgradePanel(order, rerender) {
  const upgrade = order.upgrade || {};
  const judgments = upgrade.judgments || [];
  const manager = ['manager', 'admin'].includes(principal().role);
  const parts = [h('h3', {}, t('upgrade.title')),
    h('p', { id: 'upgrade-state' }, upgrade.upgraded
      ? `${t('flag.upgraded')}: ${term(upgrade.source) ?? ''} ${upgrade.reference ?? ''}` : t('upgrade.not'))];
  if (judgments.length) {
    parts.push(table([
      { label: t('upgrade.version'), value: (j) => String(j.version) },
      { label: t('upgrade.liable'), value: (j) => (j.liable ? t('form.yes') : t('form.no')) },
      { label: t('upgrade.departments'), value: (j) => (j.departments || []).map((d) => localName(departmentName(d))).join(', ') },
      { label: t('upgrade.cause'), value: (j) => localName(j.cause_name || j.cause || '') },
      { label: t('upgrade.major'), value: (j) => (j.major ? t('form.yes') : t('form.no')) },
      { label: t('col.actor'), value: (j) => j.recorded_by || '' },
      { label: t('field.note'), value: (j) => j.note || '' },
    ], judgments, { caption: t('upgrade.judgments') }));
  }
  if (manager && order.status !== 'closed') {
    const { upgrade_sources: sources } = await choices();
    if (!upgrade.upgraded) {
      parts.push(operationForm(order, 'escalate', 'action.escalate', { required: ['source', 'reference'], properties: {
        source: { type: 'string', enum: sources, title: 'field.source' },
        reference: { type: 'string', maxLength: 200, pattern: '.', title: 'field.reference' } } }, rerender));
    }
  }
  if (manager && upgrade.upgraded) {
    const { liable_causes: causes } = await choices();
    parts.push(judgmentForm(order, causes, rerender));
  }
  return h('section', { class: 'upgrade' }, parts);
}

function judgmentForm(order, causes, rerender) {
  const schema = { required: ['liable'], properties: {
    liable: { type: 'boolean', title: 'upgrade.liable' },
    departments: { type: 'string', maxLength: 100, pattern: '.', title: 'upgrade.departments.input' },
    cause: { type: 'string', enum: causes.map((c) => c.code), 'x-enum-names': causes.map((c) => c.name), title: 'upgrade.cause' },
    major: { type: 'boolean', title: 'upgrade.major' },
    note: { type: 'string', maxLength: 2000, title: 'field.note' } } };
  for (const property of Object.values(schema.properties)) property.title = t(property.title);
  const form = renderForm(schema, {});
  const message = h('div', { 'aria-live': 'polite' });
  return h('details', { class: 'action', dataset: { operation: 'liability' } }, h('summary', {}, t('action.judge')),
    h('form', { onsubmit: async (event) => {
      event.preventDefault();
      clear(message);
      const body = form.read();
      body.departments = String(body.departments || '').split(/[\s,]+/).filter(Boolean);
      try {
        await postJson(`/api/v1/work-orders/${encodeURIComponent(order.number)}/liability`, body);
        rerender(t('action.done'));
      } catch (error) {
        if (error instanceof ApiError && error.errors.length) form.showErrors(error.errors);
        message.append(status(error.message, 'error'));
      }
    } }, form.element, h('button', { type: 'submit' }, t('action.judge')), message));
}

// The case log: notes, interim replies and contacts, and adding to it (departments).
export async function caseLogPanel(order, rerender) {
  const log = await getJson(`/api/v1/work-orders/${encodeURIComponent(order.number)}/case-log`);
  const contact = log.contact || {};
  const parts = [h('h3', {}, t('log.title')),
    contact.due_at ? h('p', { class: contact.overdue ? 'status error' : 'help' },
      `${t('log.nextcontact')}: ${localTime(contact.due_at)}`) : null,
    log.entries.length ? table([
      { label: t('log.at'), value: (e) => localTime(e.at) },
      { label: t('log.kind'), value: (e) => t(`log.kind.${e.kind}`) },
      { label: t('log.text'), value: (e) => [e.outcome ? `${t(`log.outcome.${e.outcome}`)}. ` : '', e.text || ''] },
      { label: t('col.actor'), value: (e) => e.author },
    ], log.entries, { caption: t('log.title') }) : h('p', { class: 'help' }, t('log.empty'))];
  if (principal().role === 'department' && order.status === 'open') {
    parts.push(operationForm(order, 'case-log', 'log.add', { required: ['kind'], properties: {
      kind: { type: 'string', enum: ['note', 'interim_reply', 'contact'], 'x-enum-names': ['note', 'interim_reply', 'contact'].map((k) => t(`log.kind.${k}`)), title: 'log.kind' },
      outcome: { type: 'string', enum: ['called', 'not_reached', 'sms_sent'], 'x-enum-names': ['called', 'not_reached', 'sms_sent'].map((k) => t(`log.outcome.${k}`)), title: 'log.outcome' },
      text: { type: 'string', maxLength: 4000, title: 'log.text' } } }, rerender));
  }
  return h('section', { class: 'case-log' }, parts);
}

// Attachments: the list, each downloaded as a file (fetched with the token in a
// header, handed to the browser as a blob), and an upload.
export async function attachmentsPanel(order, rerender) {
  const base = `/api/v1/work-orders/${encodeURIComponent(order.number)}/attachments`;
  const page = await getJson(base);
  const items = Array.isArray(page) ? page : (page.items || []);
  const message = h('div', { 'aria-live': 'polite' });
  const file = h('input', { id: 'attachment-file', type: 'file', name: 'file' });
  const description = h('input', { id: 'attachment-description', type: 'text', maxlength: 500 });
  const download = async (item) => {
    try {
      const response = await request('GET', `${base}/${encodeURIComponent(item.id)}`, { accept: '*/*' });
      const link = h('a', { href: URL.createObjectURL(await response.blob()), download: item.file_name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    } catch (error) { clear(message).append(status(error.message, 'error')); }
  };
  return h('section', { class: 'attachments' }, h('h3', {}, t('files.title')),
    items.length ? table([
      { label: t('files.name'), value: (a) => h('button', { type: 'button', class: 'link', onclick: () => download(a) }, a.file_name) },
      { label: t('files.size'), value: (a) => `${Math.ceil(a.size / 1024)} KiB` },
      { label: t('files.description'), value: (a) => a.description || '' },
      { label: t('col.actor'), value: (a) => a.uploaded_by },
    ], items, { caption: t('files.title') }) : h('p', { class: 'help' }, t('files.empty')),
    h('form', { class: 'upload', onsubmit: async (event) => {
      event.preventDefault();
      clear(message);
      if (!file.files.length) { message.append(status(t('files.pick'), 'error')); return; }
      const body = new FormData();
      body.append('file', file.files[0]);
      if (description.value.trim()) body.append('description', description.value.trim());
      try {
        await request('POST', base, { body });
        rerender(t('action.done'));
      } catch (error) { message.append(status(error.message, 'error')); }
    } },
    h('label', { for: 'attachment-file' }, t('files.choose')), file,
    h('label', { for: 'attachment-description' }, t('files.description')), description,
    h('button', { type: 'submit' }, t('files.upload')), message));
}

// The customer's profile (tier, guidance, markers) as the order carries it.
export function profilePanel(order) {
  const profile = order.customer_profile;
  const recent = order.repeat?.recent_orders || [];
  if (!profile && !recent.length) return null;
  return h('section', { class: 'profile' }, h('h3', {}, t('profile.title')),
    profile ? h('dl', { class: 'facts' },
      h('dt', {}, t('order.tier')), h('dd', {}, term(profile.tier) ?? '—'),
      h('dt', {}, t('profile.guidance')), h('dd', {}, profile.guidance || '—'),
      h('dt', {}, t('profile.markers')), h('dd', {}, (profile.markers || []).join(', ') || '—')) : null,
    recent.length ? table([
      { label: t('col.order'), value: (o) => h('a', { href: `#/order/${encodeURIComponent(o.number)}` }, o.number) },
      { label: t('order.category'), value: (o) => o.category },
      { label: t('order.status'), value: (o) => term(o.status) },
      { label: t('order.submitted'), value: (o) => localTime(o.submitted_at) },
    ], recent, { caption: t('profile.recent') }) : null);
}
