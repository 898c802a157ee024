// The console's shell: sign-in, the navigation a role may use, and a hash router
// (#/inbox, #/order/<number>, #/intake, #/reports, #/design). Nothing secret is ever
// put in the URL.

import { h, append, clear, status } from './dom.js';
import { t, setLanguage, currentLanguage } from './i18n.js';
import { principal, resume, signIn, signOut } from './session.js';
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
      who ? h('span', { class: 'principal' }, `${t('signed.as')} ${who.name} (${who.role})`) : null,
      who ? h('button', { type: 'button', onclick: () => { signOut(); route(); } }, t('nav.signout')) : null)]);
}

function currentScreen() {
  const [, screen] = window.location.hash.split('/');
  return screen || '';
}

function showSignIn() {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true,
    'aria-describedby': 'token-help' });
  const message = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'signin', onsubmit: async (event) => {
    event.preventDefault();
    message.replaceChildren();
    try {
      await signIn(input.value);
      input.value = '';
      route();
    } catch (error) {
      message.append(status(error.message, 'error'));
      input.focus();
    }
  } },
  h('h2', {}, t('signin.title')),
  h('label', { for: 'token' }, t('signin.token')), input,
  h('p', { class: 'help', id: 'token-help' }, t('signin.help')),
  h('button', { type: 'submit' }, t('signin.submit')), message);
  main.append(form);
  input.focus();
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
