import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url);

describe('the source', () => {
  it('has no regular expression lookbehind, which Safari before 16.4 cannot parse (the module would not load)', () => {
    const files = readdirSync(SRC).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const text = readFileSync(new URL(name, SRC), 'utf8');
      expect(text.includes('(?<=') || text.includes('(?<!'), `${name} has a lookbehind`).toBe(false);
    }
  });
});
