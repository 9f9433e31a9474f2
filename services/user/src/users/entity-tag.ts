import { errors } from '@redwire/http-kit';

/**
 * The versions an `If-Match` header accepts: undefined for none or `*` (any current version), else the
 * listed strong entity tags. Weak tags never match (RFC 9110 strong comparison); a malformed header is a 400.
 */
export function parseIfMatch(header: string | undefined): number[] | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === '*') return undefined;
  const versions: number[] = [];
  for (const part of trimmed.split(',')) {
    const tag = part.trim();
    const strong = /^"(\d{1,15})"$/.exec(tag);
    if (strong) versions.push(Number(strong[1]));
    else if (!/^W\/"[\x21\x23-\x7e]*"$/.test(tag) && !/^"[\x21\x23-\x7e]*"$/.test(tag)) {
      throw errors.E_VALIDATION(
        { 'If-Match': ['must be * or a list of entity tags'] },
        'If-Match is malformed.',
      );
    }
  }
  // Only tags no version can match: keep a sentinel so the update refuses with 412.
  return versions.length > 0 ? versions : [-1];
}

/**
 * The entity tag of a version. One tag for every view of a version (with or without `email`): it is what
 * `If-Match` compares, and a 304 carries no body, so confirming a version never discloses a field.
 */
export const etagOf = (version: number) => `"${version}"`;
