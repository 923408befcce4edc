import { describe, expect, it } from 'vitest';
import { selection } from '../src/views/staff-cards.js';

describe('the card printing selection', () => {
  it('is a village when one is chosen, else the township, else nothing', () => {
    expect(selection({ township_id: 't', village_id: 'v', only_unprinted: false })).toEqual({ village_id: 'v' });
    expect(selection({ township_id: 't', village_id: '', only_unprinted: false })).toEqual({ township_id: 't' });
    expect(selection({ township_id: '', village_id: '', only_unprinted: true })).toBeNull();
  });
  it('asks for the never-printed cards only when ticked', () => {
    expect(selection({ township_id: 't', village_id: '', only_unprinted: true })).toEqual({ township_id: 't', only_unprinted: 'true' });
  });
});
