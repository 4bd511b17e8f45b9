// tscompose's TypeScript API: bring a compose project up for a test, reach its containers, tear it down.
//
//   await using env = await loadEnvironment({ files: ['compose.yaml'] });
//   await env.up({ wait: { web: Wait.forHttp('/', { port: 8080 }) } });
//   const port = await env.container('web').port(8080);
import './polyfill.js';

export { loadEnvironment, ComposeEnvironment, type EnvironmentOptions, type UpOptions, type DownOptions } from './environment.js';
export { ServiceContainer, type ContainerIdentity, type ExecOptions, type ExecResult, type LogOptions } from './container.js';
export { Wait, WaitStrategy, type HttpWaitOptions, type ReadinessPredicate, type ProbeResult, type ContainerState } from './wait.js';
export { WaitError } from './errors.js';
export type { LogLine, StreamName } from './log-stream.js';
export type { EngineChoice } from './core.js';
export type { SwarmTaskInfo } from './swarm.js';
export { UserError } from '../errors.js';
export type { Project, Service, LoadOptions } from '../model/types.js';
