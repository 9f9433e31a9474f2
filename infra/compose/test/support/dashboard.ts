import { readRepoFile } from './repo';

/** One query of the provisioned dashboard, with the panel it belongs to. */
export interface DashboardQuery {
  readonly panel: string;
  readonly expr: string;
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every PromQL query of infra/grafana/dashboards/redwire.json (panels and template variables). */
export function dashboardQueries(
  text = readRepoFile('infra/grafana/dashboards/redwire.json'),
): DashboardQuery[] {
  const dashboard = JSON.parse(text) as {
    panels?: Panel[];
    templating?: { list?: { name: string; query?: { query?: string } | string }[] };
  };
  const queries: DashboardQuery[] = [];
  const visit = (panels: Panel[] | undefined) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) {
        if (target.expr) queries.push({ panel: panel.title ?? '(untitled)', expr: target.expr });
      }
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const inner = query && /^label_values\(\s*([^,)]+)/.exec(query)?.[1];
    if (inner) queries.push({ panel: `variable ${variable.name}`, expr: inner });
  }
  return queries;
}

// Aggregation operators may be followed by `by (...)` instead of `(`, so they are listed, not detected.
const KEYWORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: identifiers that are neither functions (followed by `(`),
 * keywords, label names (inside `{}` or a `by (...)` list) nor Grafana variables.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1')
    .replace(/\$\w+/g, '');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const rest = stripped.slice((match.index ?? 0) + match[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** The `service` label a query is pinned to (`service="x"`), if any. */
export function pinnedService(expr: string): string | undefined {
  return /\bservice="([^"]+)"/.exec(expr)?.[1];
}

/** Sample names present in a Prometheus text exposition (histograms as their _bucket/_sum/_count series). */
export function exposedSamples(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line)?.[0];
    if (name) names.add(name);
  }
  return names;
}
