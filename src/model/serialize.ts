// placeholder, replaced below
export function serializeProject(): unknown { return {}; }
