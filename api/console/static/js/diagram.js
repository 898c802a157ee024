// The vendored bpmn-js bundles, loaded when first needed. Both bundles define the
// global BpmnJS; each is taken and the global removed, so viewer and modeler coexist.

const BUNDLES = {
  viewer: '/console/static/vendor/bpmn-js/dist/bpmn-navigated-viewer.production.min.js',
  modeler: '/console/static/vendor/bpmn-js/dist/bpmn-modeler.production.min.js',
};
const loaded = {};

function load(kind) {
  loaded[kind] ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = BUNDLES[kind];
    script.onload = () => {
      const constructor = window.BpmnJS;
      delete window.BpmnJS;
      resolve(constructor);
    };
    script.onerror = () => reject(new Error(`could not load ${BUNDLES[kind]}`));
    document.head.append(script);
  });
  return loaded[kind];
}

export async function viewer(container) {
  const BpmnJS = await load('viewer');
  return new BpmnJS({ container });
}

export async function modeler(container) {
  const BpmnJS = await load('modeler');
  return new BpmnJS({ container });
}

// Marks an order's run on a shown diagram: stages done, open and lapsed, and the
// sequence flows between what ran (the path taken).
export function markRun(bpmn, { done = [], open = [], lapsed = [] }) {
  const canvas = bpmn.get('canvas');
  const registry = bpmn.get('elementRegistry');
  const finished = new Set(done);
  const ran = new Set([...done, ...open]);
  const mark = (id, marker) => { if (registry.get(id)) canvas.addMarker(id, marker); };
  done.forEach((id) => mark(id, 'stage-done'));
  open.forEach((id) => mark(id, 'stage-open'));
  lapsed.forEach((id) => mark(id, 'stage-lapsed'));
  for (const element of registry.filter((e) => e.type === 'bpmn:SequenceFlow')) {
    const source = element.source?.id;
    const target = element.target?.id;
    // Taken: it leaves what finished (through gateways and events) towards what ran.
    if (reaches(source, finished, 'incoming') && reaches(target, ran, 'outgoing')) {
      canvas.addMarker(element.id, 'flow-taken');
    }
  }
  function reaches(id, stages, direction) {
    // A gateway or event between two stages that ran counts as passed.
    const seen = new Set();
    const stack = [id];
    while (stack.length) {
      const current = stack.pop();
      if (!current || seen.has(current)) continue;
      seen.add(current);
      if (stages.has(current)) return true;
      const element = registry.get(current);
      if (direction === 'incoming' && element?.type === 'bpmn:StartEvent') return true;
      if (!element || element.type === 'bpmn:UserTask') continue;
      for (const connection of element[direction] || []) {
        const next = direction === 'incoming' ? connection.source : connection.target;
        if (next && connection.type === 'bpmn:SequenceFlow') stack.push(next.id);
      }
    }
    return false;
  }
}

// Pins a problem to its element: a marker and an overlay with the message as text.
export function pinProblem(bpmn, elementId, message) {
  const registry = bpmn.get('elementRegistry');
  if (!elementId || !registry.get(elementId)) return false;
  bpmn.get('canvas').addMarker(elementId, 'has-problem');
  const note = document.createElement('div');
  note.className = 'problem-pin';
  note.setAttribute('role', 'note');
  note.textContent = message;
  bpmn.get('overlays').add(elementId, 'problem', { position: { bottom: -4, left: 0 }, html: note });
  return true;
}
