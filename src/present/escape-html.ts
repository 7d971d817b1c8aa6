/**
 * Escape text for HTML element content and double- or single-quoted attribute values.
 * Every string that came from an input (rule text and comments, interface names, file names, packet
 * summaries) goes through this before it reaches the report: a capture or snapshot is untrusted data.
 */
const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string | number | null | undefined): string {
  if (text === null || text === undefined) return '';
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
