// A small renderer for the JSON Schemas of forms/: an object of flat properties
// (strings, enums, booleans, numbers). Browsers do not validate here: the server's
// checks are the truth, and its field errors (problem+json) are shown on their fields.

import { h } from './dom.js';
import { localName, t, term } from './i18n.js';
import { principal } from './session.js';

let formCount = 0;
const LONG_TEXT = 200;

export function renderForm(schema, { values = {}, omit = [], legend } = {}) {
  const formId = `form${++formCount}`;
  const properties = (schema && typeof schema.properties === 'object') ? schema.properties : {};
  const required = new Set(Array.isArray(schema?.required) ? schema.required : []);
  const fields = new Map();
  const summary = h('ul', { class: 'form-errors', role: 'alert', hidden: true });
  const fieldset = h('fieldset', { class: 'schema-form' },
    legend ? h('legend', {}, legend) : null,
    schema?.description ? h('p', { class: 'help' }, String(schema.description)) : null,
    summary);
  for (const [name, property] of Object.entries(properties)) {
    if (omit.includes(name) || !property || typeof property !== 'object') continue;
    if (property.type === 'object' || property.type === 'array') continue;
    const field = renderField(formId, name, property, required.has(name), values[name]);
    fields.set(name, field);
    fieldset.append(field.wrapper);
  }

  return {
    element: fieldset,
    read() {
      const data = {};
      for (const [name, field] of fields) {
        const value = field.read();
        if (value !== undefined) data[name] = value;
      }
      return data;
    },
    clearErrors() {
      summary.hidden = true;
      summary.replaceChildren();
      for (const field of fields.values()) field.setError(null);
    },
    // errors: [{field, message}] from a problem+json; returns how many were placed.
    showErrors(errors, fallback) {
      this.clearErrors();
      const loose = [];
      for (const error of errors) {
        const name = fieldName(error.field);
        const field = fields.get(name);
        if (field) field.setError(error.message);
        else loose.push(error.field ? `${error.field}: ${error.message}` : error.message);
      }
      if (!errors.length && fallback) loose.push(fallback);
      if (loose.length) {
        summary.append(...loose.map((text) => h('li', {}, text)));
        summary.hidden = false;
      }
      const first = [...fields.values()].find((field) => field.invalid());
      if (first) first.focus();
    },
  };
}

// "body.data.result", "data.result", "body.reason", "key_fields.location" -> the
// field's own name.
export function fieldName(path) {
  const parts = String(path || '').split('.');
  while (parts.length > 1 && ['body', 'json', 'data', 'key_fields'].includes(parts[0])) parts.shift();
  return parts[0];
}

function renderField(formId, name, property, isRequired, value) {
  const id = `${formId}-${name}`;
  const errorId = `${id}-error`;
  const helpId = `${id}-help`;
  const label = h('label', { for: id },
    localName(typeof property.title === 'string' ? property.title : humanize(name)),
    isRequired ? h('span', { class: 'required', title: t('form.required') }, ' *') : null);
  const control = makeControl(id, name, property, isRequired, value ?? property.default);
  control.setAttribute('aria-describedby', `${helpId} ${errorId}`);
  if (isRequired) control.setAttribute('aria-required', 'true');
  const help = h('p', { class: 'help', id: helpId },
    typeof property.description === 'string' ? property.description : '');
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const wrapper = h('div', { class: 'field', dataset: { field: name } }, label, control, help, error);
  return {
    wrapper,
    read: () => readControl(control, property),
    setError(message) {
      error.textContent = message || '';
      error.hidden = !message;
      control.toggleAttribute('aria-invalid', Boolean(message));
      wrapper.classList.toggle('invalid', Boolean(message));
    },
    invalid: () => wrapper.classList.contains('invalid'),
    focus: () => control.focus(),
  };
}

function makeControl(id, name, property, isRequired, value) {
  const options = choices(name, property);
  if (options) {
    const select = h('select', { id, name },
      h('option', { value: '' }, t('form.choose')),
      options.map(([optionValue, text]) => h('option', { value: optionValue }, text)));
    select.value = value === undefined || value === null ? '' : String(value);
    return select;
  }
  if (property.type === 'integer' || property.type === 'number') {
    return h('input', { id, name, type: 'number', inputmode: 'decimal',
      step: property.type === 'integer' ? '1' : 'any', value: value ?? '' });
  }
  const long = !property.maxLength || property.maxLength > LONG_TEXT;
  if (long && !property.pattern && !property.format) {
    const area = h('textarea', { id, name, rows: 3 });
    area.value = value ?? '';
    return area;
  }
  return h('input', { id, name, type: 'text', value: value ?? '', autocomplete: 'off' });
}

// [value, label] pairs for a field with a fixed set of answers.
function choices(name, property) {
  if (Array.isArray(property.enum)) {
    // x-enum-names: the console's own forms name coded answers (pause reasons...).
    const names = Array.isArray(property['x-enum-names']) ? property['x-enum-names'] : [];
    return property.enum.map((v, i) => [String(v), names[i] !== undefined ? localName(String(names[i])) : term(v)]);
  }
  if (property.type === 'boolean') return [['true', t('form.yes')], ['false', t('form.no')]];
  const departments = principal()?.departments;
  if (name.endsWith('_department') && property.type === 'string' && departments?.length) {
    return departments.map((d) => [d.id, `${localName(d.name)} — ${d.id}`]);
  }
  return null;
}

function readControl(control, property) {
  const raw = control.value;
  if (raw === '') return undefined;
  if (property.type === 'boolean') return raw === 'true';
  if (property.type === 'integer' || property.type === 'number') {
    const number = Number(raw);
    return Number.isFinite(number) ? number : raw;
  }
  if (Array.isArray(property.enum)) {
    return property.enum.find((v) => String(v) === raw) ?? raw;
  }
  return raw;
}

function humanize(name) {
  const words = String(name).replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
