// Intake: pick the category (searchable over the tree), then fill the start form of the
// flow it routes to and the category's key fields. The customer's recent orders show as
// the number is typed.

import { h, clear, status, table } from './dom.js';
import { ApiError, getJson, postJson } from './http.js';
import { localName, t } from './i18n.js';
import { principal } from './session.js';
import { renderForm } from './form.js';

// Filled in by intake itself, not by the person at the desk.
const SET_BY_INTAKE = ['processing_department', 'relaying_department', 'supervisor_department', 'category', 'key_fields', 'upgraded', 'repeat_count'];

export async function showIntake(main) {
  const tree = await getJson('/api/v1/categories');
  const leaves = [];
  for (const business of tree.businesses) {
    for (const phenomenon of business.phenomena || []) {
      for (const cause of phenomenon.causes || []) {
        leaves.push({ path: `${business.id}/${phenomenon.id}/${cause.id}`,
          names: [business.name, phenomenon.name, cause.name], keyFields: cause.key_fields || [] });
      }
    }
  }
  let chosen = null;
  let forms = null;
  const search = h('input', { id: 'category-search', type: 'search', autocomplete: 'off',
    'aria-controls': 'category-list', oninput: () => showLeaves() });
  const list = h('select', { id: 'category-list', size: 8, 'aria-label': t('intake.category'),
    onchange: () => choose(leaves.find((leaf) => leaf.path === list.value)) });
  const chosenText = h('p', { class: 'chosen', 'aria-live': 'polite' });
  const formArea = h('div');
  const message = h('div', { 'aria-live': 'polite' });
  const recent = h('div', { class: 'recent' });
  // First-contact resolution (当场解决): the order is closed at once with the answer.
  const answer = h('textarea', { id: 'spot-answer', rows: 3, maxlength: 4000, disabled: true, 'aria-describedby': 'spot-answer-error' });
  const answerError = h('p', { class: 'field-error', id: 'spot-answer-error', hidden: true });
  const onTheSpot = h('input', { id: 'on-the-spot', type: 'checkbox', onchange: () => {
    answer.disabled = !onTheSpot.checked;
    if (onTheSpot.checked) answer.focus();
  } });
  const spot = h('fieldset', { class: 'schema-form on-the-spot' }, h('legend', {}, t('intake.onthespot')),
    h('div', { class: 'control' }, onTheSpot, h('label', { for: 'on-the-spot' }, t('intake.onthespot'))),
    h('div', { class: 'field', dataset: { field: 'resolved_on_the_spot' } },
      h('label', { for: 'spot-answer' }, t('intake.answer')), answer, answerError));
  main.append(h('section', { class: 'intake' }, h('h2', {}, t('intake.title')),
    h('div', { class: 'columns' },
      h('div', { class: 'column' },
        h('label', { for: 'category-search' }, t('intake.search')), search, list, chosenText),
      h('form', { class: 'column', onsubmit: submit }, formArea, spot,
        h('button', { type: 'submit', class: 'primary' }, t('intake.submit')), message, recent))));
  showLeaves();

  function label(leaf) {
    return leaf.names.map(localName).join(' › ');
  }

  function showLeaves() {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const matching = leaves.filter((leaf) => {
      const text = `${leaf.path} ${leaf.names.join(' ')}`.toLowerCase();
      return words.every((word) => text.includes(word));
    });
    list.replaceChildren(...matching.slice(0, 200).map((leaf) => h('option', { value: leaf.path }, label(leaf))));
  }

  async function choose(leaf) {
    if (!leaf) return;
    chosen = leaf;
    chosenText.textContent = `${t('intake.category')}: ${label(leaf)}`;
    clear(message);
    try {
      const startForm = await getJson('/console/api/intake-form', { category: leaf.path });
      const omit = [...SET_BY_INTAKE];
      if (principal().role === 'department') omit.push('acceptance_department');
      const main = renderForm(startForm.schema, { omit });
      const keyFields = renderForm({
        required: leaf.keyFields,
        properties: Object.fromEntries(leaf.keyFields.map((name) => [name, tree.fields[name] || { type: 'string' }])),
      }, { legend: t('intake.keyfields') });
      forms = { main, keyFields };
      clear(formArea).append(main.element, keyFields.element);
      const phone = main.element.querySelector('[name="customer_phone"]');
      phone?.addEventListener('input', () => showRecent(phone.value.trim()));
    } catch (error) {
      clear(formArea).append(status(error.message, 'error'));
    }
  }

  async function showRecent(phone) {
    clear(recent);
    if (!/^1\d{10}$/.test(phone)) return;
    try {
      const page = await getJson('/api/v1/work-orders', { phone, per_page: 5 });
      if (!page.items.length) return;
      recent.append(table([
        { label: t('col.order'), value: (o) => h('a', { href: `#/order/${encodeURIComponent(o.number)}` }, o.number) },
        { label: t('order.category'), value: (o) => o.category },
        { label: t('order.status'), value: (o) => o.status },
        { label: t('order.submitted'), value: (o) => new Date(o.submitted_at).toLocaleString() },
      ], page.items, { caption: t('intake.recent') }));
    } catch { /* the list is a help, not a must */ }
  }

  async function submit(event) {
    event.preventDefault();
    clear(message);
    if (!chosen || !forms) { message.append(status(t('intake.nocategory'), 'error')); return; }
    const body = { ...forms.main.read(), category: chosen.path, key_fields: forms.keyFields.read() };
    if (onTheSpot.checked) body.resolved_on_the_spot = { answer: answer.value };
    answerError.hidden = true;
    try {
      const order = await postJson('/api/v1/work-orders', body);
      forms.main.clearErrors();
      forms.keyFields.clearErrors();
      message.append(status(`${t('intake.created')} `),
        h('a', { href: `#/order/${encodeURIComponent(order.number)}`, id: 'created-order' }, order.number));
    } catch (error) {
      if (error instanceof ApiError && error.errors.length) {
        const isKey = (e) => String(e.field).includes('key_fields.');
        forms.main.showErrors(error.errors.filter((e) => !isKey(e)));
        forms.keyFields.showErrors(error.errors.filter(isKey));
        const spotErrors = error.errors.filter((e) => String(e.field).includes('resolved_on_the_spot'));
        if (spotErrors.length) {
          answerError.textContent = spotErrors.map((e) => e.message).join(' ');
          answerError.hidden = false;
        }
      }
      message.append(status(error.message, 'error'));
    }
  }
}
