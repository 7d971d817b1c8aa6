/** While the captures are read (in a worker thread): a progress bar with bytes and packets read. */
import { Box, Text } from 'ink';
import type { AnalyzeProgress } from '../../model/analysis.js';
import { fmtBytes, fmtCount } from './format.js';

const PHASE: Record<AnalyzeProgress['phase'], string> = {
  snapshot: 'reading the snapshot',
  captures: 'reading captures',
  correlate: 'matching packets across interfaces',
  diagnose: 'running the checks',
  done: 'done',
};

export interface LoadingViewProps {
  readonly progress: AnalyzeProgress | null;
  readonly paths: readonly string[];
  readonly width: number;
  readonly height: number;
}

export function progressBar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

export function LoadingView({ progress, paths, width, height }: LoadingViewProps) {
  const p = progress;
  const frac = p && p.bytesTotal > 0 ? p.bytesRead / p.bytesTotal : 0;
  const barW = Math.max(10, Math.min(60, width - 12));
  const what = paths.length === 1 ? paths[0]! : `${paths.length} files`;
  return (
    <Box flexDirection="column" width={width} height={height} paddingLeft={1}>
      <Text bold wrap="truncate-end">
        natlens — analysing {what}
      </Text>
      <Text> </Text>
      <Text wrap="truncate-end">
        <Text color="cyan">{progressBar(frac, barW)}</Text> {String(Math.floor(frac * 100)).padStart(3)}%
      </Text>
      <Text wrap="truncate-end" dimColor>
        {p ? `${fmtBytes(p.bytesRead)} of ${fmtBytes(p.bytesTotal)} · ${fmtCount(p.packets)} packets · ${PHASE[p.phase]}` : 'starting…'}
      </Text>
      <Text> </Text>
      <Text dimColor wrap="truncate-end">
        q quits
      </Text>
    </Box>
  );
}
