import type { Clock } from '../../src/clock.js';

/** A clock the test sets: jobs, tokens and due dates all read it. */
export class FakeClock implements Clock {
  private t: number;
  constructor(start: string | Date = '2026-11-26T10:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  set(at: string | Date): void {
    this.t = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
  advanceDays(days: number): void {
    this.advance(days * 86_400_000);
  }
}
