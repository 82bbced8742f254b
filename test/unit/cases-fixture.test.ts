import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { CASES_FILE, loadCases } from '../support/cases.ts';

// The shared cases sit beside the repository (../shared), in CI as on developers' machines.
const SHARED = '../shared/cases/cases.json';

describe('the cases fixture', () => {
  // Reported as skipped, not passed, where no shared copy is beside the repository.
  const whenShared = existsSync(SHARED) ? it : it.skip;

  whenShared('is the shared cases file, byte for byte', () => {
    expect(readFileSync(CASES_FILE, 'utf8')).toBe(readFileSync(SHARED, 'utf8'));
  });

  it('holds the 20 cases C-01 to C-20', () => {
    expect([...loadCases().keys()]).toEqual(
      Array.from({ length: 20 }, (_, i) => `C-${String(i + 1).padStart(2, '0')}`),
    );
  });
});
