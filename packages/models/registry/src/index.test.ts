import { describe, expect, it } from 'vitest';
import { familyNames, getFamily } from './index';

describe('family registry', () => {
  it('finds bert4rec by name and rejects unknown names with a CfmError naming the field', () => {
    expect(familyNames()).toContain('bert4rec');
    expect(getFamily('bert4rec').name).toBe('bert4rec');
    expect(() => getFamily('nope')).toThrow(/CFM_E_CONFIG.*field "model".*unknown model family "nope"/);
  });
});
