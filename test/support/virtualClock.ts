/**
 * A clock whose time only moves when every task is waiting: `run(main)` executes `main`, and each
 * time nothing but timers is left, jumps to the earliest timer. Minutes of simulated work take
 * milliseconds, and the result does not depend on the machine's load.
 */
export class VirtualClock {
  private time = 0;
  private sequence = 0;
  private readonly timers: Array<{ at: number; order: number; resolve: () => void }> = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms), order: this.sequence++, resolve });
    });
  }

  /** Runs `main` to completion in virtual time. */
  async run<T>(main: () => Promise<T>): Promise<T> {
    let settled: { value: T } | { error: unknown } | undefined;
    main().then(
      (value) => {
        settled = { value };
      },
      (error: unknown) => {
        settled = { error };
      },
    );
    for (;;) {
      // Let every ready task run until each one waits on a timer (or main is done).
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (settled) break;
      if (this.timers.length === 0) {
        // Something real (I/O, a real timer) is still on its way: give it a moment before calling it stuck.
        await new Promise<void>((resolve) => setTimeout(resolve, 10));
        if (settled) break;
        if (this.timers.length === 0) throw new Error('virtual clock: main is waiting on something that is not a virtual timer');
      }
      let next = 0;
      for (let i = 1; i < this.timers.length; i += 1) {
        const timer = this.timers[i] as (typeof this.timers)[number];
        const best = this.timers[next] as (typeof this.timers)[number];
        if (timer.at < best.at || (timer.at === best.at && timer.order < best.order)) next = i;
      }
      const [timer] = this.timers.splice(next, 1);
      if (!timer) continue;
      this.time = Math.max(this.time, timer.at);
      timer.resolve();
    }
    if ('error' in settled) throw settled.error;
    return settled.value;
  }
}
