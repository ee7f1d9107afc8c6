/** In-page side of scripts/bench.mjs: loads bench/<name>.browser.ts, runs it, reports through console. */
interface BrowserBench {
  run(log: (line: string) => void): Promise<Record<string, unknown>>;
}

const modules = import.meta.glob<BrowserBench>('./*.browser.ts');
const name = new URLSearchParams(location.search).get('name') ?? '';

async function main(): Promise<void> {
  const load = modules[`./${name}.browser.ts`];
  if (!load) throw new Error(`no benchmark bench/${name}.browser.ts`);
  const bench = await load();
  const result = await bench.run((line) => console.log(`[bench] ${line}`));
  console.log(`[bench-result] ${JSON.stringify(result)}`);
}

main().catch((e: unknown) => console.log(`[bench-error] ${(e as Error).stack ?? String(e)}`));
