// The labels docker compose v2 puts on what it creates; same names and meanings so each tool
// recognises the other's containers, networks and volumes. The one place these names are spelt.
export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  dependsOn: 'com.docker.compose.depends_on',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  version: 'com.docker.compose.version',
  image: 'com.docker.compose.image',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
} as const;

/** The docker compose version we claim in labels; both tools read it only for display. */
export const COMPOSE_VERSION_LABEL = '2.20.0-tscompose';

/** A label filter (Docker's `filters={"label": […]}`) for everything of one project. */
export const projectFilter = (project: string) => ({ label: [`${LABEL.project}=${project}`] });

/** A label filter for the containers of one service of a project. */
export const serviceFilter = (project: string, service: string) => ({
  label: [`${LABEL.project}=${project}`, `${LABEL.service}=${service}`],
});

/** Whether labels mark a one-off (`run`) container; docker compose writes "True", older tools "true". */
export const isOneoff = (labels: Record<string, string> | undefined) => (labels?.[LABEL.oneoff] ?? '').toLowerCase() === 'true';
