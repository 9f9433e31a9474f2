/**
 * Object keys named like members of `Object.prototype`. Code that looks a client-chosen key up in a plain
 * object (`obj[key] ?? …`, `key in obj`) finds the inherited member instead of nothing; hostile-input tests
 * send each of these as a field, a query parameter and a header name.
 */
export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
] as const;
