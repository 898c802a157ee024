// Who is signed in. The only module that knows how a caller proves who it is: today a
// bearer token pasted in (kept in sessionStorage, so it ends with the tab and never
// appears in a URL). A staff-id + password login endpoint replaces `signIn` alone.

import { t } from './i18n.js';

const TOKEN_KEY = 'workorders.token';
let current = null; // {name, role, department, departments}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function principal() {
  return current;
}

// Checks the credentials against the API; on success they are kept for this tab.
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
// token was revoked meanwhile).
export async function resume() {
  const saved = token();
  if (!saved) return null;
  try {
    return await signIn(saved);
  } catch {
    signOut();
    return null;
  }
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  current = null;
}

export function departmentName(id) {
  const found = current?.departments?.find((department) => department.id === id);
  return found ? found.name : id;
}
