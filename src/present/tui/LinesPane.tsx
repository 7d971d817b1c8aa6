/**
 * Draws prepared lines, exactly `height` of them, each cut to `width`: a frame of constant size is
 * redrawn in place by ink without clearing the screen, so nothing flickers.
 */
import { Box, Text } from 'ink';
import { fitLine, lineWidth, type Line } from './text-line.js';

export interface LinesPaneProps {
  readonly lines: readonly Line[];
  readonly width: number;
  readonly height: number;
  /** Index (within `lines`) of the line drawn as selected. */
  readonly selected?: number;
}

export function LinesPane({ lines, width, height, selected = -1 }: LinesPaneProps) {
  const rows = [];
  for (let i = 0; i < height; i++) {
    const line = lines[i];
    if (!line || line.length === 0) {
      rows.push(<Text key={i}> </Text>);
      continue;
    }
    const isSel = i === selected;
    let fitted = fitLine(line, width);
    if (isSel) {
      // Mark the selection with a pointer too, for terminals without reverse video.
      const first = fitted[0];
      if (first && first.text.startsWith(' ')) fitted = [{ ...first, text: '▸' + first.text.slice(1) }, ...fitted.slice(1)];
      const pad = width - lineWidth(fitted);
      if (pad > 0) fitted = [...fitted, { text: ' '.repeat(pad) }];
    }
    rows.push(
      <Text key={i} wrap="truncate-end">
        {fitted.map((s, k) => (
          <Text
            key={k}
            color={s.color}
            bold={s.bold === true || isSel}
            dimColor={s.dim === true && !isSel}
            inverse={s.inverse === true || isSel}
            underline={s.underline === true}
          >
            {s.text}
          </Text>
        ))}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {rows}
    </Box>
  );
}
