// uvu prints one summary per process (Total / Passed / Skipped / Duration); colours stripped.
export function parseUvuSummary(output: string): { total: number; passed: number; skipped: number } | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are control characters
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const last = (re: RegExp) => {
    const all = [...plain.matchAll(re)];
    const m = all[all.length - 1];
    return m ? Number(m[1]) : null;
  };
  const total = last(/^\s*Total:\s+(\d+)\s*$/gm);
  const passed = last(/^\s*Passed:\s+(\d+)\s*$/gm);
  const skipped = last(/^\s*Skipped:\s+(\d+)\s*$/gm);
  if (total === null || passed === null) return null;
  return { total, passed, skipped: skipped ?? 0 };
}
