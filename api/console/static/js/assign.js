// A supervisor assigns or reassigns a stage to one of its department's handlers
// (POST /api/v1/tasks/{id}/assign); the choices come from GET /api/v1/staff.

import { h, status } from './dom.js';
import { getJson, postJson } from './http.js';
import { t } from './i18n.js';

const handlersOf = new Map(); // department -> promise of [{staff_id, name}]

function handlers(department) {
  if (!handlersOf.has(department)) {
    handlersOf.set(department, getJson('/api/v1/staff', { department, role: 'handler' })
      .then((people) => people.filter((person) => !person.disabled))
      .catch((error) => { handlersOf.delete(department); throw error; }));
  }
  return handlersOf.get(department);
}

export function forgetHandlers() {
  handlersOf.clear();
}

// A select of the department's handlers and an Assign button; `done` runs after it.
export function assignControl(task, done) {
  const id = `assign-${task.id}`;
  const select = h('select', { id, class: 'assignee-choice', 'aria-label': `${t('assign.to')} ${task.business_key}` },
    h('option', { value: '' }, t('form.choose')));
  const message = h('span', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'assign', onclick: async (event) => {
    event.stopPropagation();
    message.replaceChildren();
    if (!select.value) { message.append(status(t('assign.pick'), 'error')); select.focus(); return; }
    try {
      await postJson(`/api/v1/tasks/${encodeURIComponent(task.id)}/assign`, { staff_id: select.value });
      done(select.value);
    } catch (error) {
      message.append(status(error.message, 'error'));
    }
  } }, task.assignee ? t('assign.reassign') : t('assign.assign'));
  handlers(task.department).then((people) => {
    select.append(...people.filter((person) => person.staff_id !== task.assignee)
      .map((person) => h('option', { value: person.staff_id }, `${person.name} (${person.staff_id})`)));
  }).catch((error) => message.append(status(error.message, 'error')));
  // Keys and clicks here belong to the control, not to the row that opens the order.
  const wrapper = h('span', { class: 'assign-control', onclick: (event) => event.stopPropagation(),
    onkeydown: (event) => event.stopPropagation() }, select, button, message);
  return wrapper;
}
