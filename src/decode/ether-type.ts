/** EtherType values (IEEE 802 numbers) the link decoders name as the next layer. */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  IPV6: 0x86dd,
  /** 802.1Q customer tag. */
  VLAN: 0x8100,
  /** 802.1ad service tag (QinQ outer tag). */
  QINQ: 0x88a8,
  /** Pre-standard QinQ TPIDs some switches still send. */
  QINQ_OLD1: 0x9100,
  QINQ_OLD2: 0x9200,
} as const;

/** Values below 0x0600 are an 802.3 length field, not a type (IEEE 802.3 clause 3.2.6). */
export const ETHERTYPE_MIN = 0x0600;
