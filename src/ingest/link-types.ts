import { LinkType } from '../model/capture.js';

const NAMES: ReadonlyMap<number, string> = new Map([
  [LinkType.NULL, 'NULL'],
  [LinkType.EN10MB, 'EN10MB'],
  [LinkType.RAW, 'RAW'],
  [LinkType.LOOP, 'LOOP'],
  [LinkType.LINUX_SLL, 'LINUX_SLL'],
  [LinkType.IPV4, 'IPV4'],
  [LinkType.IPV6, 'IPV6'],
  [LinkType.LINUX_SLL2, 'LINUX_SLL2'],
]);

/** The link types the decoder understands (issue 2); packets of any other type are skipped with a warning. */
export function isSupportedLinkType(linkType: number): boolean {
  return NAMES.has(linkType);
}

/** `EN10MB (1)`, or `link type 147` for one we do not know. */
export function describeLinkType(linkType: number): string {
  const name = NAMES.get(linkType);
  return name === undefined ? `link type ${linkType}` : `${name} (${linkType})`;
}
