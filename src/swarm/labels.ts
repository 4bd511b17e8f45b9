// The labels a stack carries. The first two are docker stack's, so `docker stack ls/ps/services/rm`
// see a stack tscompose deployed; the hashes are ours: of the spec we last wrote and of its task template.
export const SWARM_LABEL = {
  namespace: 'com.docker.stack.namespace',
  image: 'com.docker.stack.image',
  specHash: 'com.tscompose.swarm.spec-hash',
  /** on the container spec: tells the tasks of the current task template from older ones */
  taskHash: 'com.tscompose.swarm.task-hash',
} as const;

/** Swarm's name for a stack object: `<project>_<name>`, as docker stack names them. */
export const stackName = (project: string, name: string): string => `${project}_${name}`;

/** The label filter selecting every object of a stack. */
export const namespaceFilter = (project: string) => ({ label: [`${SWARM_LABEL.namespace}=${project}`] });
