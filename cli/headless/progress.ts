/** Progress lines for people on stderr: one per stage, then every 25% of it (not a line per frame). */
export function progressPrinter(log: (line: string) => void): (stage: string, fraction?: number) => void {
  let lastStage = '';
  let lastQuarter = -1;
  return (stage, fraction) => {
    const quarter = fraction === undefined ? -1 : Math.floor(fraction * 4);
    if (stage === lastStage && quarter <= lastQuarter) return;
    if (stage !== lastStage) lastQuarter = -1;
    lastStage = stage;
    lastQuarter = quarter;
    log(fraction === undefined ? `${stage}…` : `${stage} ${Math.round(fraction * 100)}%`);
  };
}
