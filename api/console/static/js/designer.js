// Designers: edit a diagram in the bpmn-js modeler or upload files, check them (dry
// run) with every problem pinned to its element, deploy, read the versions with their
// running orders, and migrate running orders (checked first).

import { h, clear, status, table } from './dom.js';
import { ApiError, getJson, postJson, request } from './http.js';
import { t } from './i18n.js';
import { modeler, pinProblem } from './diagram.js';

export async function showDesign(main) {
  let editor = null;
  let editorFile = null; // the name the edited diagram is deployed under
  let loads = 0; // diagrams opened so far (data-loads: tests wait for the next one)
  const files = h('input', { id: 'design-files', type: 'file', multiple: true, accept: '.bpmn,.dmn,.json',
    onchange: openFirstDiagram });
  const editorName = h('p', { class: 'help', 'aria-live': 'polite' });
  const canvas = h('div', { class: 'diagram modeler', id: 'modeler', tabindex: '0', 'aria-label': t('design.editor') });
  const result = h('div', { id: 'deploy-result', 'aria-live': 'polite' });
  const flows = h('div', { id: 'flows' });
  const migration = h('div', { id: 'migration' });
  main.append(h('section', { class: 'design' }, h('h2', {}, t('design.title')),
    h('div', { class: 'control' }, h('label', { for: 'design-files' }, t('design.files')), files),
    h('div', { class: 'buttons' },
      h('button', { type: 'button', id: 'dry-run', onclick: () => deploy(true) }, t('design.dryrun')),
      h('button', { type: 'button', id: 'deploy', class: 'primary', onclick: () => deploy(false) }, t('design.deploy'))),
    result, editorName, canvas,
    h('h3', {}, t('design.flows')), flows,
    h('h3', {}, t('design.migrate')), migration));

  async function openInEditor(name, xml) {
    editor ??= await modeler(canvas);
    await editor.importXML(xml);
    editor.get('canvas').zoom('fit-viewport');
    editorFile = name;
    editorName.textContent = `${t('design.edited')} ${name}`;
    canvas.dataset.ready = 'true';
    canvas.dataset.loads = String(++loads);
  }

  async function openFirstDiagram() {
    const diagram = [...files.files].find((file) => file.name.endsWith('.bpmn'));
    if (diagram) await openInEditor(diagram.name, await diagram.text());
  }

  // The files to send: the chosen ones, the editor's diagram in place of its file.
  async function collect() {
    const form = new FormData();
    const names = new Set();
    if (editor && editorFile) {
      const { xml } = await editor.saveXML({ format: true });
      form.append('files', new Blob([xml], { type: 'application/xml' }), editorFile);
      names.add(editorFile);
    }
    for (const file of files.files) {
      if (!names.has(file.name)) form.append('files', file, file.name);
    }
    return form;
  }

  async function deploy(dryRun) {
    clear(result);
    editor?.get('overlays').remove({ type: 'problem' });
    editor?.get('elementRegistry').forEach((element) => editor.get('canvas').removeMarker(element.id, 'has-problem'));
    try {
      const response = await request('POST', '/api/v1/deployments', { body: await collect(), query: { dry_run: dryRun ? 'true' : '' } });
      const answer = await response.json();
      result.append(status(dryRun ? t('design.ok')
        : `${t('design.deployed')} ${answer.deployed.map((d) => `${d.key} v${d.version}${d.created ? '' : ' (=)'}`).join(', ')}`));
      if (!dryRun) await listFlows();
    } catch (error) {
      if (!(error instanceof ApiError)) { result.append(status(error.message, 'error')); return; }
      const problems = error.errors;
      result.append(status(error.message, 'error'));
      if (problems.length) {
        result.append(table([
          { label: t('design.file'), value: (p) => p.file ?? '' },
          { label: t('design.line'), value: (p) => p.line ?? '' },
          { label: t('design.element'), value: (p) => p.element_id ?? '' },
          { label: t('design.message'), value: (p) => p.message ?? '' },
        ], problems, { caption: t('design.problems') }));
        for (const problem of problems) {
          if (editor && problem.file === editorFile) pinProblem(editor, problem.element_id, problem.message);
        }
      }
    }
  }

  async function listFlows() {
    try {
      const definitions = await getJson('/api/v1/process-definitions');
      clear(flows).append(table([
        { label: 'key', value: (d) => d.key },
        { label: t('design.versions'), value: (d) => d.versions },
        { label: '', value: (d) => h('button', { type: 'button', onclick: () => showVersions(d.key) }, t('design.versions')) },
      ], definitions));
    } catch (error) {
      clear(flows).append(status(error.message, 'error'));
    }
  }

  async function showVersions(key) {
    const versions = await getJson(`/api/v1/process-definitions/${encodeURIComponent(key)}/versions`);
    const panel = h('div', { class: 'versions' }, table([
      { label: 'version', value: (v) => v.version },
      { label: 'file', value: (v) => v.file_name ?? '' },
      { label: 'deployed', value: (v) => new Date(v.deployed_at).toLocaleString() },
      { label: t('design.running'), value: (v) => v.running_instances },
      { label: '', value: (v) => h('button', { type: 'button', onclick: async () => {
        const xml = await (await request('GET', `/api/v1/process-definitions/${encodeURIComponent(key)}/versions/${v.version}/bpmn`,
          { accept: 'application/xml' })).text();
        await openInEditor(v.file_name || `${key}.bpmn`, xml);
        canvas.focus();
      } }, t('design.open')) },
    ], versions, { caption: `${key}: ${t('design.versions')}` }));
    flows.querySelector('.versions')?.remove();
    flows.append(panel);
    showMigration(key, versions);
  }

  function showMigration(key, versions) {
    const numbers = versions.map((v) => v.version);
    const select = (id, value) => {
      const element = h('select', { id }, numbers.map((n) => h('option', { value: n }, `v${n}`)));
      element.value = String(value);
      return element;
    };
    const from = select('migrate-from', Math.min(...numbers));
    const to = select('migrate-to', Math.max(...numbers));
    const output = h('div', { 'aria-live': 'polite' });
    const run = async (dryRun) => {
      clear(output);
      try {
        const answer = await postJson(`/api/v1/process-definitions/${encodeURIComponent(key)}/migrations`,
          { from_version: Number(from.value), to_version: Number(to.value), dry_run: dryRun });
        output.append(table([
          { label: 'instance', value: (i) => i.instance_id },
          { label: 'migrated', value: (i) => String(i.migrated) },
          { label: 'kept', value: (i) => (i.mapped_tasks || []).join(', ') },
          { label: 'refusals', value: (i) => (i.refusals || []).join('; ') },
        ], answer.instances, { caption: dryRun ? t('design.migrate.dry') : t('design.migrate.run') }));
      } catch (error) {
        output.append(status(error.message, 'error'));
      }
    };
    clear(migration).append(h('form', { class: 'filters', onsubmit: (e) => e.preventDefault() },
      h('span', {}, key),
      h('div', { class: 'control' }, h('label', { for: 'migrate-from' }, t('design.from')), from),
      h('div', { class: 'control' }, h('label', { for: 'migrate-to' }, t('design.to')), to),
      h('button', { type: 'button', onclick: () => run(true) }, t('design.migrate.dry')),
      h('button', { type: 'button', onclick: () => run(false) }, t('design.migrate.run'))), output);
  }

  await listFlows();
  return null;
}
