import { describe, expect, it } from 'vitest';
import { failureLine } from './errors';

/** shaped like the Temporal client's errors: a WorkflowFailedError whose cause chain ends in the activity's failure */
const failed = (cause: object) => Object.assign(new Error('Workflow execution failed'), { name: 'WorkflowFailedError', cause });

describe('failureLine', () => {
  it("names the activity's CfmError code and message instead of 'Workflow execution failed'", () => {
    const e = failed({
      message: 'Activity task failed',
      cause: {
        message: '[CFM_E_CONFIG] field "families.0.config.epochs": Too small',
        type: 'CfmError',
        details: [{ code: 'CFM_E_CONFIG' }],
      },
    });
    const f = failureLine(e);
    expect(f.code).toBe(2);
    expect(f.line).toBe('Workflow execution failed: Activity task failed: [CFM_E_CONFIG] field "families.0.config.epochs": Too small');
  });
  it('says a schedule or workflow does not exist, or that the server cannot be reached', () => {
    expect(failureLine(Object.assign(new Error('schedule not found'), { name: 'ScheduleNotFoundError' })).line).toMatch(
      /^\[CFM_E_STATE\] no such schedule/,
    );
    expect(failureLine(Object.assign(new Error('workflow not found for ID: x'), { name: 'WorkflowNotFoundError' })).line).toMatch(
      /^\[CFM_E_STATE\] no such workflow/,
    );
    expect(failureLine(new Error('14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:7233')).line).toMatch(
      /^\[CFM_E_STATE\] cannot reach the Temporal server/,
    );
  });
  it('is one line without a stack for anything else', () => {
    const f = failureLine(new Error('boom\n    at x (y.ts:1:1)'));
    expect(f).toEqual({ line: '[CFM_E_INTERNAL] boom (CFM_DEBUG=1 prints the stack)', code: 1 });
  });
});
