/**
 * The stale-scan guard: a stale scan must never pay for the next customer.
 *
 * - A scan that arrives while no checkout is waiting is dropped at once ('no_checkout').
 * - `takeFor(checkoutStartedAt)` hands out the oldest queued scan that arrived at or after the checkout
 *   started and is not older than `maxAgeMs`; everything older is dropped ('before_checkout' or 'stale').
 * - The queue is bounded (`capacity`); when full the oldest scan is dropped ('overflow').
 *
 * Time comes from an injectable clock (milliseconds), so tests use a fake one. Scans carry their own
 * receive time `at`, stamped by the driver.
 */
import type { ScanKind } from './classify.ts';

export interface TimedScan {
  kind: ScanKind;
  text: string;
  /** Receive time, milliseconds since the epoch (same clock as the guard's). */
  at: number;
}

export type DropReason = 'no_checkout' | 'before_checkout' | 'stale' | 'overflow' | 'checkout_ended';

export interface StaleScanGuardOptions {
  /** Maximum age of a scan when it is taken, default 3000 ms. */
  maxAgeMs?: number;
  clock?: () => number;
  /** How many scans may wait, default 16. */
  capacity?: number;
  /** Told about every dropped scan (for logs and the cashier's screen). */
  onDrop?: (scan: TimedScan, reason: DropReason) => void;
}

export interface Checkout {
  readonly startedAt: number;
  /** Stops waiting; scans still queued for this checkout are dropped. Idempotent. */
  end(): void;
}

export class StaleScanGuard {
  readonly maxAgeMs: number;
  private readonly clock: () => number;
  private readonly capacity: number;
  private readonly onDrop: ((scan: TimedScan, reason: DropReason) => void) | undefined;
  private readonly queue: TimedScan[] = [];
  private readonly open = new Set<symbol>();

  constructor(opts: StaleScanGuardOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 3000;
    this.clock = opts.clock ?? Date.now;
    this.capacity = opts.capacity ?? 16;
    this.onDrop = opts.onDrop;
    if (!(this.maxAgeMs >= 0) || !Number.isFinite(this.maxAgeMs)) throw new TypeError('maxAgeMs must be a finite number ≥ 0');
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new TypeError('capacity must be a positive integer');
  }

  /** True while at least one checkout is waiting for a scan. */
  get waiting(): boolean {
    return this.open.size > 0;
  }

  /** Scans queued now (for inspection). */
  get pending(): readonly TimedScan[] {
    return this.queue;
  }

  /** A checkout starts waiting now. */
  beginCheckout(): Checkout {
    const id = Symbol('checkout');
    const startedAt = this.clock();
    this.open.add(id);
    return {
      startedAt,
      end: () => {
        if (!this.open.delete(id)) return;
        if (this.open.size === 0) this.dropAll('checkout_ended');
      },
    };
  }

  /** Offer a scan as it arrives. Returns whether it was queued. */
  offer(scan: TimedScan): boolean {
    if (!this.waiting) {
      this.drop(scan, 'no_checkout');
      return false;
    }
    if (this.queue.length >= this.capacity) this.drop(this.queue.shift()!, 'overflow');
    this.queue.push(scan);
    return true;
  }

  /**
   * The next scan for a checkout that started at `checkoutStartedAt` (optionally only of some kinds).
   * Scans that arrived before the checkout started, or are older than maxAgeMs now, are dropped.
   * Scans of other kinds stay queued.
   */
  takeFor(checkoutStartedAt: number, kinds?: readonly ScanKind[]): TimedScan | undefined {
    const now = this.clock();
    for (let i = 0; i < this.queue.length; ) {
      const scan = this.queue[i]!;
      if (scan.at < checkoutStartedAt) {
        this.queue.splice(i, 1);
        this.drop(scan, 'before_checkout');
      } else if (now - scan.at > this.maxAgeMs) {
        this.queue.splice(i, 1);
        this.drop(scan, 'stale');
      } else if (kinds && !kinds.includes(scan.kind)) {
        i++;
      } else {
        this.queue.splice(i, 1);
        return scan;
      }
    }
    return undefined;
  }

  private dropAll(reason: DropReason): void {
    for (const scan of this.queue.splice(0)) this.drop(scan, reason);
  }

  private drop(scan: TimedScan, reason: DropReason): void {
    this.onDrop?.(scan, reason);
  }
}
