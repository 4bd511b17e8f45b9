// The labels a stack carries. The first two are docker stack's, so `docker stack ls/ps/services/rm`
// see a stack tscompose deployed; the last is ours: the hash of the spec we last wrote.
export const SWARM_LABEL = {
  namespace: 'com.docker.stack.namespace',
  image: 'com.docker.stack.image',
  specHash: 'com.tscompose.swarm.spec-hash',
} as const;

/** Swarm's name for a stack object: `<project>_<name>`, as docker stack names them. */
export const stackName = (project: string, name: string): string => `${project}_${name}`;

/** The label filter selecting every object of a stack. */
export const namespaceFilter = (project: string) => ({ label: [`${SWARM_LABEL.namespace}=${project}`] });
