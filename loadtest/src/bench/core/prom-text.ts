/** Sums the samples of a Prometheus counter whose labels include `labels` (text exposition format). */
export function promCounter(text: string, name: string, labels: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const found = Object.fromEntries(
      [...line.slice(name.length + 1, close).matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v))
      total += Number(line.slice(close + 1).trim());
  }
  return total;
}
