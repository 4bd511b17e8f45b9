// BuildKit's automatic platform ARGs. They are defined in the global scope (usable in FROM and in global
// ARG defaults); a stage sees one only after `ARG TARGETARCH` (without a value). The bundled engine
// builds for its own platform, so the build and target platforms are the host's.
import { hostPlatform, type Platform } from '../oci.js';

export const PLATFORM_ARG_NAMES = [
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
];

export function platformArgs(target: Platform = hostPlatform(), build: Platform = hostPlatform()): Record<string, string> {
  // linux/arm64 is named without its default variant, as BuildKit prints it
  const variant = (p: Platform) => (p.architecture === 'arm64' && p.variant === 'v8' ? '' : (p.variant ?? ''));
  const format = (p: Platform) => [p.os, p.architecture, variant(p)].filter(Boolean).join('/');
  return {
    TARGETPLATFORM: format(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: variant(target),
    BUILDPLATFORM: format(build),
    BUILDOS: build.os,
    BUILDARCH: build.architecture,
    BUILDVARIANT: variant(build),
  };
}
