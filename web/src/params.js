// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Parameters as plot axes. Categorical and ordinal parameters become indices into their choices
// (the API gives choices as strings, trial values as the study defined them: numbers, booleans);
// log-scaled numbers become log10 where an axis type cannot say "log" (parcoords, binning).

export function isChoice(param) {
  return param.kind === 'categorical' || param.kind === 'ordinal';
}

export function choiceIndex(param, value) {
  if (value === null || value === undefined) return null;
  const text = String(value);
  let index = param.choices.indexOf(text);
  // "1.0" in the study file and 1 in JSON are the same choice.
  if (index < 0 && typeof value === 'number') index = param.choices.findIndex((choice) => Number(choice) === value);
  return index < 0 ? null : index;
}

// Where a trial sits on the parameter's axis, in a space where spacing means something.
export function toAxis(param, value) {
  if (value === null || value === undefined) return null;
  if (isChoice(param)) return choiceIndex(param, value);
  if (typeof value !== 'number') return null;
  if (param.log) return value > 0 ? Math.log10(value) : null;
  return value;
}

export function fromAxis(param, position) {
  return param.log && !isChoice(param) ? 10 ** position : position;
}

// Ticks of an axis in toAxis space: choices by name, log axes at powers of ten.
export function axisTicks(param, low, high) {
  if (isChoice(param)) return { tickvals: param.choices.map((_, i) => i), ticktext: param.choices };
  if (param.log) {
    const tickvals = [];
    for (let e = Math.ceil(low); e <= Math.floor(high); e += 1) tickvals.push(e);
    if (tickvals.length < 2) return {};
    return { tickvals, ticktext: tickvals.map((e) => `1e${e}`) };
  }
  return {};
}

// The parameter's range, from its definition when it has one, else from the observed values.
export function axisRange(param, positions) {
  if (isChoice(param)) return [0, Math.max(0, param.choices.length - 1)];
  if (param.low !== null && param.low !== undefined && param.high !== null && param.high !== undefined) {
    return param.log ? [Math.log10(param.low), Math.log10(param.high)] : [param.low, param.high];
  }
  // A loop, not Math.min(...positions): spreading 100,000 arguments overflows the stack.
  let low = Infinity;
  let high = -Infinity;
  for (const v of positions) {
    if (v === null) continue;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return low <= high ? [low, high] : [0, 1];
}

// The study's parameter definitions, with a fallback for a parameter that trials have but the
// study's list lacks: /columns names every parameter's kind, and its values give the choices.
export function paramDefinitions(study, columns = null) {
  const defined = new Map((study.params || []).map((p) => [p.name, p]));
  const kinds = (columns && columns.kinds) || {};
  for (const [name, kind] of Object.entries(kinds)) {
    if (defined.has(name)) continue;
    const observed = (columns.params && columns.params[name]) || [];
    const choices = [...new Set(observed.filter((v) => v !== null).map(String))].sort();
    defined.set(name, { name, kind, low: null, high: null, log: false, step: null, choices, condition: null });
  }
  return [...defined.values()];
}
