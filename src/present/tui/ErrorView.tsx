/** Unusable input: say which file and where, in the same words as the batch commands (exit code 2). */
import { Box, Text } from 'ink';
import { InputError } from '../../model/errors.js';

export interface ErrorViewProps {
  readonly error: unknown;
  readonly width: number;
}

export function errorText(e: unknown): { where: string; message: string; code: string } {
  if (e instanceof InputError) return { where: e.where(), message: e.message, code: e.code };
  const err = e as { message?: unknown; code?: unknown; path?: unknown };
  return {
    where: typeof err?.path === 'string' ? err.path : '',
    message: typeof err?.message === 'string' ? err.message : String(e),
    code: typeof err?.code === 'string' ? err.code : 'internal',
  };
}

export function ErrorView({ error, width }: ErrorViewProps) {
  const t = errorText(error);
  return (
    <Box flexDirection="column" width={width} paddingLeft={1}>
      <Text color="red" bold>
        ✖ natlens cannot use this input
      </Text>
      <Text wrap="wrap">
        {t.where ? <Text color="cyan">{t.where}: </Text> : null}
        {t.message} <Text dimColor>[{t.code}]</Text>
      </Text>
    </Box>
  );
}
