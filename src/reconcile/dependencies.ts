// depends_on conditions: wait until a dependency is started, healthy or completed successfully.
import type { ContainerDetails, EngineClient } from '../client/engine-client.js';
import type { DependsOn } from '../model/types.js';
import { UserError } from '../errors.js';
import { observeContainers } from './observed.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitForDependency(
  engine: EngineClient,
  project: string,
  service: string,
  dependency: string,
  dep: DependsOn,
  deadline = Infinity,
): Promise<void> {
  for (;;) {
    const containers = (await observeContainers(engine, project, { oneoff: false })).filter((c) => c.service === dependency);
    if (containers.length === 0) {
      if (!dep.required) return;
      throw new UserError(`service "${service}" depends on "${dependency}", which has no container`);
    }
    const states = await Promise.all(containers.map((c) => engine.inspectContainer(c.id)));
    const ready = states.every((s) => {
      if (dep.condition === 'service_started') return s.State.Running || s.State.Status === 'exited';
      if (dep.condition === 'service_healthy') {
        const test = s.Config.Healthcheck?.Test;
        if (!test?.length || test[0] === 'NONE')
          throw new UserError(`service "${service}" waits for "${dependency}" to be healthy, but "${dependency}" has no healthcheck`);
        if (s.State.Health?.Status === 'unhealthy')
          throw new UserError(
            `dependency "${dependency}" of service "${service}" is unhealthy (container ${s.Name.slice(1)}${lastProbe(s)})`,
          );
        if (!s.State.Running)
          throw new UserError(
            `dependency "${dependency}" of service "${service}" exited with code ${s.State.ExitCode} before becoming healthy`,
          );
        return s.State.Health?.Status === 'healthy';
      }
      if (s.State.Status === 'exited' || s.State.Status === 'dead') {
        if (s.State.ExitCode !== 0)
          throw new UserError(
            `service "${service}" needs "${dependency}" to complete successfully, but container ${s.Name.slice(1)} exited with code ${s.State.ExitCode}`,
          );
        return true;
      }
      return false;
    });
    if (ready) return;
    if (Date.now() > deadline) throw new UserError(`timed out waiting for "${dependency}" (${dep.condition}) before starting "${service}"`);
    await sleep(300);
  }
}

function lastProbe(s: ContainerDetails): string {
  const log = s.State.Health?.Log;
  const out = log?.[log.length - 1]?.Output?.trim();
  return out ? `; last check: ${out.split('\n')[0]}` : '';
}

/** --wait: every container running and healthy (when it has a healthcheck); one-shot jobs may exit 0. */
export async function waitRunningOrHealthy(engine: EngineClient, project: string, services: string[], deadline = Infinity): Promise<void> {
  for (;;) {
    const containers = (await observeContainers(engine, project, { oneoff: false })).filter((c) => services.includes(c.service));
    const states = await Promise.all(containers.map((c) => engine.inspectContainer(c.id)));
    let ready = true;
    for (const s of states) {
      const name = s.Name.slice(1);
      if (s.State.Health?.Status === 'unhealthy') throw new UserError(`container ${name} is unhealthy${lastProbe(s)}`);
      if (!s.State.Running) {
        if (s.State.Status === 'exited' && s.State.ExitCode === 0) continue;
        throw new UserError(`container ${name} is ${s.State.Status} (exit code ${s.State.ExitCode})`);
      }
      if (s.State.Health && s.State.Health.Status !== 'healthy') ready = false;
    }
    if (ready) return;
    if (Date.now() > deadline) throw new UserError('timed out waiting for the stack to become running and healthy');
    await sleep(300);
  }
}
