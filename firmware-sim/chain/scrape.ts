/**
 * Reading the daemon's /metrics (Prometheus text format) the way a rig does: the sum of a metric
 * over its label sets, or one labelled sample. A scrape that fails reads as "nothing yet".
 */

/** The body of /metrics, or '' when the daemon does not answer. */
export async function scrapeText(url: string): Promise<string> {
  try {
    return await (await fetch(url)).text();
  } catch {
    return '';
  }
}

/** Sum of every sample of `metric` in a scraped body. */
export function sumOf(text: string, metric: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) sum += Number(line.split(' ').pop());
  return sum;
}

/** The value of `metric{labels}` (labels in any order), or undefined when absent. */
export function sampleOf(text: string, metric: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} (\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    const got = Object.fromEntries([...m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

export async function scrapeSum(url: string, metric: string): Promise<number> {
  return sumOf(await scrapeText(url), metric);
}
