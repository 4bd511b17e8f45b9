// The reconciler: observe the engine, plan against the model, apply. Used by the CLI and src/watch.
export type { ReconcileContext } from './context.js';
export type { ProgressReporter, ResourceKind } from './progress.js';
export { silentProgress } from './progress.js';
export { upServices, applyServices, ensureNetworksAndVolumes, type UpOptions, type UpResult } from './up.js';
export { downProject, type DownOptions } from './down.js';
export { runLifecycle, projectContainers, type LifecycleVerb, type LifecycleOptions } from './lifecycle.js';
export { planUp, describePlan, desiredScale, type Plan, type PlanOptions, type ContainerAction } from './plan.js';
export { observe, observeContainers, type ObservedContainer, type ObservedState } from './observed.js';
export { ensureImages, buildService, pullImage, imageAction, type ImageOptions } from './images.js';
export { createContainer, startContainer, stopContainer, removeContainer } from './containers.js';
export { waitForDependency, waitRunningOrHealthy } from './dependencies.js';
export { serviceConfigHash } from './config-hash.js';
export { containerSpec } from './container-spec.js';
export { containerName, serviceImage, networkName, volumeName } from './names.js';
export { selectServices, serviceLevels } from './levels.js';
export { lockProject } from './lock.js';
export { LABEL } from '../labels.js';
