import type { Rng } from '@cfm/core';
import type { SimConfig } from './config';
import { cumulative, sampleCdf } from './math';

const DAY_MS = 86_400_000;
/** Relative traffic by UTC hour: quiet nights, lunch and evening peaks. */
export const HOUR_WEIGHTS = [
  0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 0.8, 0.9, 1, 1.1, 1.3, 1.2, 1, 1, 1, 1.1, 1.3, 1.5, 1.7, 1.6, 1.2, 0.7,
];

/** Session-start density over the simulated days, as weights and a CDF (the truth file exposes the weights). */
export interface Calendar {
  startMs: number;
  days: number;
  dayWeights: Float64Array;
  dayCdf: Float64Array;
  hourCdf: Float64Array;
}

export function buildCalendar(config: SimConfig): Calendar {
  const { weeklyAmplitude, yearlyAmplitude, peakDate, peakBoost, peakWidthDays } = config.seasonality;
  const startMs = Date.parse(`${config.startDate}T00:00:00Z`);
  const [pm, pd] = peakDate.split('-').map(Number);
  const dayWeights = new Float64Array(config.days);
  for (let i = 0; i < config.days; i++) {
    const date = new Date(startMs + i * DAY_MS);
    const y = date.getUTCFullYear();
    // distance to the nearest peak (this year's, last year's or next year's)
    const dist = Math.min(...[y - 1, y, y + 1].map((yy) => Math.abs(startMs + i * DAY_MS - Date.UTC(yy, pm - 1, pd)) / DAY_MS));
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
    dayWeights[i] =
      (1 + (weekend ? weeklyAmplitude : 0)) * (1 + yearlyAmplitude * Math.cos((2 * Math.PI * dist) / 365.25)) +
      peakBoost * Math.exp(-(dist * dist) / (2 * peakWidthDays * peakWidthDays));
  }
  return { startMs, days: config.days, dayWeights, dayCdf: cumulative(dayWeights), hourCdf: cumulative(HOUR_WEIGHTS) };
}

/** A session start time (epoch ms) drawn from the seasonal density. */
export function sampleStart(cal: Calendar, rng: Rng): number {
  const day = sampleCdf(cal.dayCdf, rng.next());
  const hour = sampleCdf(cal.hourCdf, rng.next());
  return cal.startMs + day * DAY_MS + hour * 3_600_000 + Math.floor(rng.next() * 3_600_000);
}

export const endMs = (cal: Calendar): number => cal.startMs + cal.days * DAY_MS;
