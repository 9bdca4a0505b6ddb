/** Temporal task queues. Training runs on `gpu` workers, everything else on `cpu` workers. */
export const TASK_QUEUES = { cpu: 'cfm-cpu', gpu: 'cfm-gpu' } as const;
export type QueueKind = keyof typeof TASK_QUEUES;
