#!/usr/bin/env node
// Validates FHIR R4 resources with FHIR.js (npm "fhir", an implementation independent of the
// service) against the core R4 StructureDefinitions: element names and types, cardinality,
// required bindings. Errors fail; warnings (codes outside an extensible or preferred binding,
// which R4 allows when the value set has no suitable concept) are printed but do not fail.
//
// Usage: node tests/fhir/validate.mjs [FILE...]
//   FILE: a JSON resource, or a JSON array of resources. No FILE (or "-"): NDJSON on stdin, one
//   resource per line. Prints one line per problem, "<where> <Type>/<id> <path>: <message>", and
//   "ok: N resources" when all are valid. Exit 0 valid, 1 invalid, 2 bad input or setup.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let Fhir;
try {
  ({ Fhir } = require('fhir'));
} catch (e) {
  console.error('validate.mjs: npm package "fhir" missing; run tools/setup.sh (' + e.message + ')');
  process.exit(2);
}

// FHIR.js ships only some R4 ValueSets. For a binding whose ValueSet it lacks (e.g. the example
// bindings ServiceRequest.code -> procedure-code, reasonCode -> procedure-reason, which R4 says
// constrain nothing), it reports "Value set ... could not be found" (information) and then a
// warning that every code is "not found in value set". That warning says nothing about the
// resource, so it is dropped only at locations where the same validation reported the missing
// ValueSet; a code missing from a ValueSet FHIR.js does have is still reported.
const missingValueSet = /^Value set "[^"]+" could not be found\.?$/;
const codeNotInMissingValueSet = /^Code "[^"]*" (\([^)]*\) )?not found in value set$/;
function filterKnownLimitations(messages) {
  const unknownBindingAt = new Set(
    messages.filter((m) => missingValueSet.test(m.message)).map((m) => m.location));
  return messages.filter(
    (m) => !(m.severity === 'warning' && unknownBindingAt.has(m.location) &&
             codeNotInMissingValueSet.test(m.message)));
}

function readInputs(args) {
  const inputs = [];
  const parse = (text, where) => {
    try {
      return JSON.parse(text);
    } catch (e) {
      console.error(`${where}: not JSON: ${e.message}`);
      process.exit(2);
    }
  };
  if (args.length === 0 || (args.length === 1 && args[0] === '-')) {
    readFileSync(0, 'utf8').split('\n').forEach((line, i) => {
      if (line.trim() !== '') inputs.push({ where: `stdin:${i + 1}`, resource: parse(line, `stdin:${i + 1}`) });
    });
    return inputs;
  }
  for (const file of args) {
    const value = parse(readFileSync(file, 'utf8'), file);
    if (Array.isArray(value)) {
      value.forEach((resource, i) => inputs.push({ where: `${file}[${i}]`, resource }));
    } else {
      inputs.push({ where: file, resource: value });
    }
  }
  return inputs;
}

const inputs = readInputs(process.argv.slice(2));
if (inputs.length === 0) {
  console.error('validate.mjs: no resources given');
  process.exit(2);
}
const fhir = new Fhir();
let errors = 0;
let warnings = 0;
for (const { where, resource } of inputs) {
  const name = `${resource?.resourceType ?? '(no resourceType)'}/${resource?.id ?? '(no id)'}`;
  if (resource === null || typeof resource !== 'object' || typeof resource.resourceType !== 'string') {
    console.log(`${where} ${name}: error: not a FHIR resource`);
    errors++;
    continue;
  }
  const result = fhir.validate(resource, { errorOnUnexpected: true });
  for (const m of filterKnownLimitations(result.messages)) {
    if (m.severity === 'info' || m.severity === 'information') continue;
    console.log(`${where} ${name} ${m.location}: ${m.severity}: ${m.message}`);
    if (m.severity === 'warning') warnings++;
    else errors++;
  }
}
if (errors > 0) {
  console.log(`invalid: ${errors} error(s), ${warnings} warning(s) in ${inputs.length} resources`);
  process.exit(1);
}
console.log(`ok: ${inputs.length} resources, ${warnings} warning(s)`);
