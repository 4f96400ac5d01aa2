/**
 * Prefixes of the limiters an adapter makes for routes: a route's bucket belongs to that route (its methods,
 * URL pattern and constraints), a named group's to the group. Both extend the plugin's prefix, and the
 * limiter's namespace then escapes and ends the whole (keyNamespace.ts), so no key can reach them.
 */

/** `<plugin prefix>route:<METHODS>:<constraints><url>:`, e.g. `sl:route:POST:/item/:id:`. */
export function routePrefix(pluginPrefix: string, methods: string | readonly string[], url: string, constraints: unknown): string {
  const methodText = typeof methods === 'string' ? methods : methods.join(',');
  // A URL pattern starts with `/` or `*`, constraints with `{`: the two cannot run into each other.
  return `${pluginPrefix}route:${methodText}:${constraintsText(constraints)}${url}:`;
}

/** `<plugin prefix>group:<groupId>:`: the bucket shared by the routes of one group. */
export function groupPrefix(pluginPrefix: string, groupId: string): string {
  return `${pluginPrefix}group:${groupId}:`;
}

/** Route constraints (`{ host, version }`) as stable text: keys sorted, a RegExp as its source; '' for none. */
function constraintsText(constraints: unknown): string {
  if (constraints === null || typeof constraints !== 'object' || Object.keys(constraints).length === 0) return '';
  return stableText(constraints);
}

function stableText(value: unknown): string {
  // Unquoted, so a RegExp cannot read as the string of its source.
  if (value instanceof RegExp) return String(value);
  if (Array.isArray(value)) return `[${value.map(stableText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${stableText(record[name])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? String(value);
}
