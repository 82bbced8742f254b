import { describe, expect, it } from '@jest/globals';
import { granted, parseGrants } from '../../lambda/clusters/grants.ts';
import { PrsManagerError } from '../../lambda/errors.ts';

describe('parseGrants', () => {
  it('reads the grant the chart records', () => {
    // Act
    const grants = parseGrants({
      'grants.json':
        '{"version":1,"group":"prs-manager","user":null,"allNamespaces":false,"namespaces":["team-a","team-b"]}',
    });

    // Assert
    expect(grants).toEqual({ allNamespaces: false, namespaces: ['team-a', 'team-b'] });
    expect([granted(grants, 'team-a'), granted(grants, 'team-c')]).toEqual([true, false]);
    expect(granted({ allNamespaces: true, namespaces: [] }, 'anything')).toBe(true);
  });

  it.each([
    { name: 'no grants.json', data: {}, message: 'the ConfigMap prs-manager has no grants.json' },
    {
      name: 'text that is not JSON',
      data: { 'grants.json': 'namespaces: [a]' },
      message: 'prs-manager/grants.json is not JSON',
    },
    {
      name: 'another version',
      data: { 'grants.json': '{"version":2}' },
      message:
        'prs-manager/grants.json: version 2 is not one this function reads (1); upgrade the function or the chart',
    },
    {
      name: 'namespaces that are not a list',
      data: { 'grants.json': '{"version":1,"allNamespaces":false,"namespaces":"a"}' },
      message:
        'prs-manager/grants.json: allNamespaces (boolean) and namespaces (list of names) are required',
    },
  ])('throws for $name', ({ data, message }) => {
    expect(() => parseGrants(data as Record<string, string>)).toThrow(new PrsManagerError(message));
  });
});
