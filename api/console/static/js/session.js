// Who is signed in. The only module that knows how a caller proves who it is: a person
// logs in with staff id and password (POST /api/v1/sessions answers a short-lived
// token); an integrator or a department may paste an API token instead. The token is
// kept in sessionStorage (it ends with the tab) and never appears in a URL.

import { t } from './i18n.js';

const TOKEN_KEY = 'workorders.token';
let current = null; // {name, role, department, staff_id, person_name, staff_roles, departments}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function principal() {
  return current;
}

export function isSupervisor() {
  return Boolean(current?.staff_roles?.includes('supervisor') && current.role === 'department');
}

// A person's login: staff id and password, optionally the department to act for and
// the role to act in.
export async function logIn({ staffId, password, department, actingAs }) {
  if (!staffId?.trim() || !password) throw new Error(t('signin.missing'));
  const body = { staff_id: staffId.trim(), password };
  if (department) body.department = department;
  if (actingAs) body.acting_as = actingAs;
  const response = await fetch('/api/v1/sessions', {
    method: 'POST', credentials: 'omit',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status === 401) throw new Error(t('signin.wrong'));
  if (response.status === 423) throw new Error(t('signin.locked'));
  if (!response.ok) {
    let detail = '';
    try { detail = (await response.json()).detail || ''; } catch { /* none */ }
    throw new Error(`${t('signin.failed')} (${response.status}) ${detail}`.trim());
  }
  const session = await response.json();
  return signIn(session.token);
}

// Checks a token against the API; on success it is kept for this tab.
export async function signIn(secret) {
  const trimmed = (secret || '').trim();
  if (!trimmed) throw new Error(t('signin.empty'));
  const response = await fetch('/console/api/session', {
    headers: { Authorization: `Bearer ${trimmed}`, Accept: 'application/json' },
    credentials: 'omit',
  });
  if (response.status === 401) throw new Error(t('signin.refused'));
  if (!response.ok) throw new Error(`${t('signin.failed')} (${response.status})`);
  current = await response.json();
  sessionStorage.setItem(TOKEN_KEY, trimmed);
  return current;
}

// Restores the session of this tab after a reload; null when there is none (or the
// token expired or was revoked meanwhile).
export async function resume() {
  const saved = token();
  if (!saved) return null;
  try {
    return await signIn(saved);
  } catch {
    forget();
    return null;
  }
}

// Ends a person's login on the server (an API token is left as it is) and forgets it.
export async function signOut() {
  const saved = token();
  forget();
  if (!saved) return;
  try {
    await fetch('/api/v1/sessions/current', { method: 'DELETE', credentials: 'omit',
      headers: { Authorization: `Bearer ${saved}` } });
  } catch { /* the token is forgotten here either way */ }
}

export function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
  current = null;
}

export function departmentName(id) {
  const found = current?.departments?.find((department) => department.id === id);
  return found ? found.name : id;
}
