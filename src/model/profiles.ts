// Which services a set of profiles enables: services without profiles always, profiled services
// when one of their profiles is active ("*" activates all). Services targeted on the command
// line activate their own profiles, as docker compose does.
export function activeProfiles(requested: string[], targeted: string[], serviceProfiles: Record<string, string[]>): Set<string> {
  const active = new Set(
    requested
      .flatMap((p) => p.split(','))
      .map((p) => p.trim())
      .filter(Boolean),
  );
  for (const name of targeted) for (const p of serviceProfiles[name] ?? []) active.add(p);
  return active;
}

export function isEnabled(profiles: string[], active: Set<string>): boolean {
  return profiles.length === 0 || active.has('*') || profiles.some((p) => active.has(p));
}

/** Every profile named by any service, sorted. */
export function allProfiles(serviceProfiles: Record<string, string[]>): string[] {
  return [...new Set(Object.values(serviceProfiles).flat())].sort();
}
