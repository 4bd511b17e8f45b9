// When is a deployed service there? When every task of its current task template (told apart by the
// task-hash label) is running — which on Swarm also means healthy: a task with a healthcheck stays
// "starting" until it passes — and no rolling update is still in progress. ("starting" also lasts
// seconds for a task without one, so it never counts: a task crashing at start would look up.)
// A service whose tasks keep failing is reported with the task, its node and its error.
import { SWARM_LABEL } from './labels.js';
import type { StackService, SwarmTask } from './api.js';
import { byCodepoint } from '../codepoint-order.js';

export type Convergence = { status: 'done' } | { status: 'pending' | 'failed'; detail: string; task?: SwarmTask };

export interface ConvergeOptions {
  /** failed tasks of the current template after which a service is reported as failing */
  maxFailures: number;
}

const FAILED = new Set(['failed', 'rejected', 'orphaned']);
const ROLLED_BACK = new Set(['paused', 'rollback_started', 'rollback_paused', 'rollback_completed']);

export const taskName = (service: string, task: SwarmTask) =>
  `${service}.${task.Slot ?? task.NodeID?.slice(0, 12) ?? task.ID.slice(0, 12)}`;

/** How the task failed or where it stands, in the engine's words. */
export function taskStatus(task: SwarmTask): string {
  const s = task.Status;
  return `${s.State}${s.Err ? `: ${s.Err}` : s.Message && s.Message !== s.State ? ` (${s.Message})` : ''}`;
}

export function serviceConvergence(service: StackService, tasks: SwarmTask[], opts: ConvergeOptions): Convergence {
  const spec = service.Spec!;
  const hash = spec.TaskTemplate?.ContainerSpec?.Labels?.[SWARM_LABEL.taskHash];
  const current = tasks
    .filter((t) => t.ServiceID === service.ID && t.Spec?.ContainerSpec?.Labels?.[SWARM_LABEL.taskHash] === hash)
    .sort((a, b) => byCodepoint(a.UpdatedAt ?? '', b.UpdatedAt ?? ''));
  const update = service.UpdateStatus?.State;
  if (update && ROLLED_BACK.has(update))
    return { status: 'failed', detail: `update ${update.replace('_', ' ')}: ${service.UpdateStatus?.Message ?? ''}`.trim() };

  const failures = current.filter((t) => FAILED.has(t.Status.State));
  const lastFailure = failures.at(-1);
  // no replacement is coming when the restart policy says so: the first failures are final
  const policy = spec.TaskTemplate?.RestartPolicy;
  const finalAfter =
    policy?.Condition === 'none' ? 1 : policy?.MaxAttempts ? Math.min(opts.maxFailures, policy.MaxAttempts + 1) : opts.maxFailures;
  if (lastFailure && failures.length >= finalAfter) {
    const count = failures.length === 1 ? '' : `${failures.length} tasks failed, the last one ${taskName(spec.Name, lastFailure)}: `;
    return { status: 'failed', detail: `${count}${taskStatus(lastFailure)}`, task: lastFailure };
  }

  const mode = spec.Mode ?? {};
  const isJob = !!(mode.ReplicatedJob || mode.GlobalJob);
  const want =
    service.ServiceStatus?.DesiredTasks ??
    mode.Replicated?.Replicas ??
    mode.ReplicatedJob?.TotalCompletions ??
    current.filter((t) => t.DesiredState !== 'shutdown').length;
  const ready = isJob
    ? current.filter((t) => t.Status.State === 'complete')
    : current.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
  if (ready.length >= want && update !== 'updating') return { status: 'done' };

  const behind = current.filter((t) => !ready.includes(t) && t.DesiredState !== 'shutdown').at(-1) ?? lastFailure;
  const word = isJob ? 'complete' : 'running';
  return {
    status: 'pending',
    detail: `${ready.length}/${want} tasks ${word}${update === 'updating' ? ', update in progress' : ''}${behind ? `; ${taskName(spec.Name, behind)}: ${taskStatus(behind)}` : ''}`,
    task: behind,
  };
}
