import type { Interval } from '../api/types';

export interface IntervalOption {
  value: Interval;
  label: string;
  seconds: number;
}

export const INTERVALS: IntervalOption[] = [
  { value: 'INTERVAL_1M', label: '1m', seconds: 60 },
  { value: 'INTERVAL_5M', label: '5m', seconds: 300 },
  { value: 'INTERVAL_15M', label: '15m', seconds: 900 },
  { value: 'INTERVAL_1H', label: '1h', seconds: 3600 },
  { value: 'INTERVAL_4H', label: '4h', seconds: 14_400 },
  { value: 'INTERVAL_1D', label: '1d', seconds: 86_400 },
];

export function intervalSeconds(interval: Interval): number {
  return INTERVALS.find((option) => option.value === interval)?.seconds ?? 3600;
}

export function intervalFromLabel(label: string | null): Interval | undefined {
  return INTERVALS.find((option) => option.label === label)?.value;
}

export function labelOf(interval: Interval): string {
  return INTERVALS.find((option) => option.value === interval)?.label ?? interval;
}
