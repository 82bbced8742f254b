/**
 * Kubernetes object name rules, checked before any request so that a bad
 * name is reported against its configuration entry and never sent. Each
 * problem is named on its own, with the rule in words.
 */

const SUBDOMAIN_MAX = 253;
const LABEL_MAX = 63;
const ALLOWED = /^[a-z0-9.-]$/;
const ALNUM = /^[a-z0-9]$/;

/** Why `name` is not a lowercase RFC 1123 subdomain (a Secret name), or undefined. */
export function subdomainProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > SUBDOMAIN_MAX) {
    return `must be at most ${SUBDOMAIN_MAX} characters (has ${name.length})`;
  }
  const charProblem = characterProblem(name, true);
  if (charProblem) return charProblem;
  const labels = name.split('.');
  const index = labels.findIndex((label) => label.length > LABEL_MAX);
  if (index >= 0) {
    return (
      `each dot-separated label must be at most ${LABEL_MAX} characters ` +
      `(label ${index + 1} has ${labels[index]?.length})`
    );
  }
  if (labels.some((label) => label.length === 0)) {
    return 'must not contain an empty label (a leading, trailing or doubled ".")';
  }
  if (labels.some((label) => !ALNUM.test(label.at(0) ?? '') || !ALNUM.test(label.at(-1) ?? ''))) {
    return 'each label must start and end with a lowercase letter or digit';
  }

  return undefined;
}

/** Why `name` is not an RFC 1123 label (a namespace name), or undefined. */
export function labelProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > LABEL_MAX) {
    return `must be at most ${LABEL_MAX} characters (has ${name.length})`;
  }
  const charProblem = characterProblem(name, false);
  if (charProblem) return charProblem;
  if (!ALNUM.test(name.at(0) ?? '') || !ALNUM.test(name.at(-1) ?? '')) {
    return 'must start and end with a lowercase letter or digit';
  }

  return undefined;
}

function characterProblem(name: string, dotsAllowed: boolean): string | undefined {
  for (const char of name) {
    if (char === '.' && !dotsAllowed) return '"." is not allowed';
    if (ALLOWED.test(char)) continue;
    if (/[A-Z]/.test(char)) {
      return (
        'only lowercase letters are allowed (lowercase letters, digits, "-"' +
        (dotsAllowed ? ' and ".")' : ')')
      );
    }

    return `${JSON.stringify(char)} is not allowed`;
  }

  return undefined;
}
