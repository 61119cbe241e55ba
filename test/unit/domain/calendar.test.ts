import { describe, expect, it } from 'vitest';
import { addDays, addMonths, datesBetween, daysBetween, isIsoDate, maxDate, minDate } from '../../../shared/domain/calendar.ts';

describe('calendar dates', () => {
  it('are real days written YYYY-MM-DD, nothing before or after', () => {
    for (const ok of ['2026-12-01', '2028-02-29', '2000-02-29']) expect(isIsoDate(ok), ok).toBe(true);
    for (const bad of [
      '2026-02-29',
      '1900-02-29',
      '2026-13-01',
      '2026-00-10',
      '2026-12-32',
      ' 2026-12-01',
      '2026-12-01 ',
      'x2026-12-01',
      '2026-12-01x',
      '26-12-01',
      '2026-1-01',
      '',
    ])
      expect(isIsoDate(bad), JSON.stringify(bad)).toBe(false);
  });

  it('add days across months and years, and refuse what is no date', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-12-17', -14)).toBe('2026-12-03');
    expect(() => addDays('2026-02-30', 1)).toThrow('not a calendar date (YYYY-MM-DD): 2026-02-30');
  });

  it('add months keeping the day, or the last day of a shorter month', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2026-12-31', 12)).toBe('2027-12-31');
    expect(addMonths('2028-02-29', 12)).toBe('2029-02-28');
    expect(addMonths('2026-03-15', -3)).toBe('2025-12-15');
  });

  it('count days between two dates', () => {
    expect(daysBetween('2026-12-17', '2026-12-31')).toBe(14);
    expect(daysBetween('2026-12-31', '2026-12-17')).toBe(-14);
    expect(daysBetween('2028-02-28', '2028-03-01')).toBe(2);
  });

  it('give the earlier and the later of two dates', () => {
    expect(minDate('2026-12-01', '2026-11-30')).toBe('2026-11-30');
    expect(minDate('2026-11-30', '2026-12-01')).toBe('2026-11-30');
    expect(minDate('2026-12-01', '2026-12-01')).toBe('2026-12-01');
    expect(maxDate('2026-12-01', '2026-11-30')).toBe('2026-12-01');
    expect(maxDate('2026-11-30', '2026-12-01')).toBe('2026-12-01');
    expect(maxDate('2026-12-01', '2026-12-01')).toBe('2026-12-01');
  });

  it('list every day from one to another, both included', () => {
    expect(datesBetween('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(datesBetween('2026-12-30', '2026-12-30')).toEqual(['2026-12-30']);
    expect(datesBetween('2026-12-30', '2026-12-29')).toEqual([]);
  });
});
