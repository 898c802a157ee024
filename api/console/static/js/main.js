// The console's shell: sign-in, the navigation a role may use, and a hash router
// (#/inbox, #/order/<number>, #/intake, #/reports, #/design). Nothing secret is ever
// put in the URL.

import { h, append, clear, status } from './dom.js';
import { localName, t, setLanguage, currentLanguage } from './i18n.js';
import { departmentName, logIn, principal, resume, signIn, signOut } from './session.js';
import { showInbox } from './inbox.js';
import { showOrder } from './order.js';
import { showIntake } from './intake.js';
import { showReports } from './reports.js';
import { showDesign } from './designer.js';

const SCREENS = {
  inbox: { label: 'nav.inbox', roles: ['department', 'manager', 'admin'], show: showInbox },
  intake: { label: 'nav.intake', roles: ['department', 'integrator', 'admin'], show: showIntake },
  reports: { label: 'nav.reports', roles: ['manager', 'admin', 'department'], show: showReports },
  design: { label: 'nav.design', roles: ['designer', 'admin'], show: showDesign },
};

const main = document.getElementById('main');
const header = document.getElementById('header');
let leaveScreen = null;

function allowed(screen) {
  return SCREENS[screen].roles.includes(principal()?.role);
}

function renderHeader() {
  clear(header);
  const language = h('select', { id: 'language', onchange: (event) => {
    setLanguage(event.target.value);
    route();
  } }, h('option', { value: 'en' }, 'English'), h('option', { value: 'zh' }, '中文'));
  language.value = currentLanguage();
  const who = principal();
  append(header, [
    h('h1', {}, t('app.title')),
    who ? h('nav', { 'aria-label': t('nav.main') }, h('ul', {},
      Object.entries(SCREENS).filter(([name]) => allowed(name)).map(([name, screen]) =>
        h('li', {}, h('a', { href: `#/${name}`, 'aria-current': currentScreen() === name ? 'page' : null },
          t(screen.label)))))) : null,
    h('div', { class: 'who' },
      h('label', { for: 'language' }, t('language')), language,
      who ? whoIsSignedIn(who) : null,
      who ? h('button', { type: 'button', onclick: async () => { await signOut(); route(); } }, t('nav.signout')) : null)]);
}

// "Signed in as 王小明 (E1001) for Network operations · handler", or a token's name.
function whoIsSignedIn(who) {
  const acting = who.department ? ` ${t('signed.for')} ${localName(departmentName(who.department))}` : '';
  const person = who.staff_id ? `${who.person_name} (${who.staff_id})` : who.name;
  return h('span', { class: 'principal', id: 'signed-in' },
    `${t('signed.as')} ${person}${acting} · ${t(`role.${who.role}`)}`);
}

function currentScreen() {
  const [, screen] = window.location.hash.split('/');
  return screen || '';
}

function showSignIn() {
  const field = (id, label, attributes) => {
    const input = h('input', { id, ...attributes });
    return [input, h('div', { class: 'field' }, h('label', { for: id }, label), input)];
  };
  const [staffId, staffIdField] = field('staff-id', t('signin.staffid'), { autocomplete: 'username', required: true });
  const [password, passwordField] = field('password', t('signin.password'), { type: 'password', autocomplete: 'current-password', required: true });
  const [department, departmentField] = field('signin-department', t('signin.department'), { autocomplete: 'off', 'aria-describedby': 'department-help' });
  const actingAs = h('select', { id: 'acting-as' }, ['', 'manager', 'designer', 'admin'].map((role) =>
    h('option', { value: role }, role ? t(`role.${role}`) : t('signin.role.default'))));
  const message = h('div', { 'aria-live': 'polite' });
  const tokenInput = h('input', { id: 'token', type: 'password', autocomplete: 'off', 'aria-describedby': 'token-help' });
  const tokenMessage = h('div', { 'aria-live': 'polite' });

  async function attempt(event, signInWith, output, focus) {
    event.preventDefault();
    output.replaceChildren();
    try {
      await signInWith();
      password.value = '';
      tokenInput.value = '';
      route();
    } catch (error) {
      output.append(status(error.message, 'error'));
      focus.focus();
    }
  }

  const login = h('form', { class: 'signin', id: 'login', onsubmit: (event) => attempt(event, () => logIn({
    staffId: staffId.value, password: password.value, department: department.value.trim(), actingAs: actingAs.value,
  }), message, password) },
  h('h2', {}, t('signin.title')),
  staffIdField, passwordField,
  h('details', {}, h('summary', {}, t('signin.more')),
    departmentField, h('p', { class: 'help', id: 'department-help' }, t('signin.department.help')),
    h('div', { class: 'field' }, h('label', { for: 'acting-as' }, t('signin.actingas')), actingAs)),
  h('button', { type: 'submit', class: 'primary' }, t('signin.submit')), message);
  const byToken = h('details', { class: 'signin token-signin' }, h('summary', {}, t('signin.bytoken')),
    h('form', { onsubmit: (event) => attempt(event, () => signIn(tokenInput.value), tokenMessage, tokenInput) },
      h('label', { for: 'token' }, t('signin.token')), tokenInput,
      h('p', { class: 'help', id: 'token-help' }, t('signin.help')),
      h('button', { type: 'submit' }, t('signin.tokensubmit')), tokenMessage));
  main.append(login, byToken);
  staffId.focus();
}

async function route() {
  if (leaveScreen) { leaveScreen(); leaveScreen = null; }
  clear(main);
  renderHeader();
  if (!principal()) { showSignIn(); return; }
  const [, screen, ...rest] = window.location.hash.split('/');
  const argument = rest.map(decodeURIComponent).join('/');
  if (screen === 'order' && argument) {
    leaveScreen = await showOrder(main, argument);
    focusHeading();
    return;
  }
  const fallback = Object.keys(SCREENS).find(allowed);
  const name = SCREENS[screen] && allowed(screen) ? screen : fallback;
  if (!name) { main.append(status(t('error'), 'error')); return; }
  if (name !== screen) { window.location.hash = `#/${name}`; return; }
  try {
    leaveScreen = await SCREENS[name].show(main);
    focusHeading();
  } catch (error) {
    main.append(status(error.message, 'error'));
  }
}

// After a screen changes, keyboard and screen-reader users start at its heading.
function focusHeading() {
  if (main.contains(document.activeElement)) return;
  const heading = main.querySelector('h2');
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
window.addEventListener('signed-out', route);
await resume();
route();
