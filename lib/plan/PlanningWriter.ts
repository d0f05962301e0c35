import type { Change, ChangeOutcome, ChangeWriter } from './types';

/**
 * The plan-mode writer: records every change it is asked to apply and calls nothing.
 *
 * @example
 * const writer = new PlanningWriter();
 * await governRepository(..., { writer });
 * console.log(writer.changes); // what enforcement would have done
 */
export class PlanningWriter implements ChangeWriter<Change> {
  readonly changes: Change[] = [];

  async apply(change: Change): Promise<ChangeOutcome> {
    this.changes.push(change);
    return { status: 'planned' };
  }
}
