// Calls to the API with the signed-in caller's token. Errors come back as ApiError,
// carrying the problem+json's detail and its {field, message} list.

import { token, forget } from './session.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

export async function request(method, path, { json, body, query, accept } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
  }
  const headers = { Authorization: `Bearer ${token()}`, Accept: accept || 'application/json' };
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method, headers, credentials: 'omit',
    body: json !== undefined ? JSON.stringify(json) : body,
  });
  if (response.status === 401) {
    forget();
    window.dispatchEvent(new CustomEvent('signed-out'));
  }
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch { problem = { detail: response.statusText }; }
    throw new ApiError(response.status, problem);
  }
  return response;
}

export async function getJson(path, query) {
  return (await request('GET', path, { query })).json();
}

export async function postJson(path, json, query) {
  return (await request('POST', path, { json, query })).json();
}
