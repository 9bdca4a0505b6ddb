/** One line for any failure the scheduler meets: a workflow's failure with its cause chain (the activity's
 * CfmError code and location survive as the ApplicationFailure's details), a missing workflow or schedule, an
 * unreachable server. Never a stack trace. */
export function failureLine(e: unknown): { line: string; code: number } {
  const chain: string[] = [];
  let cfm: string | undefined;
  for (
    let x = e as { name?: string; message?: string; cause?: unknown; type?: string; details?: unknown[] } | undefined, depth = 0;
    x && depth < 8;
    x = x.cause as typeof x, depth++
  ) {
    const details = Array.isArray(x.details) ? (x.details[0] as { code?: string } | undefined) : undefined;
    if (x.type === 'CfmError' && details?.code) cfm = details.code;
    const msg = (x.message ?? String(x)).split('\n')[0];
    if (msg && !chain.includes(msg)) chain.push(msg);
  }
  const name = (e as { name?: string })?.name ?? '';
  if (/ScheduleNotFound/.test(name))
    return { line: `[CFM_E_STATE] no such schedule (${chain[0]}); cfm-scheduler schedule list shows the schedules`, code: 2 };
  if (/WorkflowNotFound/.test(name)) return { line: `[CFM_E_STATE] no such workflow (${chain[0]})`, code: 2 };
  if (/UNAVAILABLE|ECONNREFUSED|Failed to connect/i.test(chain.join(' ')))
    return { line: `[CFM_E_STATE] cannot reach the Temporal server: ${chain.at(-1)}`, code: 2 };
  if (cfm) return { line: `${chain.join(': ')}`, code: 2 };
  return { line: `[CFM_E_INTERNAL] ${chain.join(': ')} (CFM_DEBUG=1 prints the stack)`, code: 1 };
}
