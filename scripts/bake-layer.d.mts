/** The layer version of each bakeable game, from its base-layer files under ansible/. */
export function currentLayers(): Record<string, string>
