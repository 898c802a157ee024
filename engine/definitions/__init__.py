"""What designers deploy: BPMN diagrams, DMN decision tables and forms, checked,
versioned and cached."""
