// Time left, counted down in the browser from the server's own figure: the server's
// clock is the truth (it may be simulated); the browser only adds the seconds elapsed
// since the figure arrived.

import { t } from './i18n.js';

export function deadline(secondsRemaining) {
  if (secondsRemaining === null || secondsRemaining === undefined) return null;
  return { remaining: secondsRemaining, at: performance.now() };
}

export function secondsLeft(mark) {
  if (!mark) return null;
  return mark.remaining - (performance.now() - mark.at) / 1000;
}

export function formatDuration(seconds) {
  const total = Math.floor(Math.abs(seconds));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  const clock = `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}:${String(rest).padStart(2, '0')}`;
  return days ? `${days}d ${clock}` : clock;
}

export function timeLeftText(seconds) {
  if (seconds === null || seconds === undefined) return t('time.none');
  return seconds < 0 ? `${t('time.over')} ${formatDuration(seconds)}` : formatDuration(seconds);
}

export function localTime(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString();
}

// Every element with data-countdown (a key into `marks`) shows its time left; a row
// (data-row) is marked overdue while any of its countdowns is past.
export function tick(root, marks) {
  const rows = new Map();
  for (const element of root.querySelectorAll('[data-countdown]')) {
    const seconds = secondsLeft(marks.get(element.dataset.countdown));
    element.textContent = timeLeftText(seconds);
    const past = seconds !== null && seconds < 0;
    element.classList.toggle('past', past);
    const row = element.closest('[data-row]') || element;
    rows.set(row, (rows.get(row) || false) || past);
  }
  for (const [row, past] of rows) row.classList.toggle('overdue', past);
}
