// The files of one container directory.
import path from 'node:path';

export const containerLayout = (dir: string) => ({
  dir,
  rootfs: path.join(dir, 'rootfs'),
  upper: path.join(dir, 'upper'),
  work: path.join(dir, 'work'),
  emptyLower: path.join(dir, 'empty'),
  bundle: path.join(dir, 'bundle'),
  log: path.join(dir, 'container.log'),
  hosts: path.join(dir, 'hosts'),
  resolvConf: path.join(dir, 'resolv.conf'),
  hostname: path.join(dir, 'hostname'),
});
export type ContainerLayout = ReturnType<typeof containerLayout>;

/** The container's overlay: its image's layers below (bottom first), its own upper dir on top. */
export const containerOverlay = (layout: ContainerLayout, layerDirs: string[]) => ({
  lowerDirs: layerDirs,
  upperDir: layout.upper,
  workDir: layout.work,
  mergedDir: layout.rootfs,
  emptyLower: layout.emptyLower,
});
