#!/usr/bin/env bash
# Regenerates the bundled samples/ from the netns lab (run as root from anywhere):
#   samples/seed-incident  ← ip-forward-disabled (what `npm start` analyzes)
#   samples/healthy, samples/arp-disabled, samples/mtu-exceeded, samples/default-route-inside, samples/conntrack-flushed,
#   samples/outside-no-carrier
# Each gets a one-line README saying what it shows. The lab's own log stays out of the sample.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
samples=$(cd "$here/../.." && pwd)/samples
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A SAMPLE=(
  [seed-incident]=ip-forward-disabled
  [healthy]=healthy
  [arp-disabled]=arp-disabled
  [mtu-exceeded]=mtu-exceeded
  [default-route-inside]=default-route-inside
  [conntrack-flushed]=conntrack-flushed
  [outside-no-carrier]=outside-no-carrier
)
declare -A README=(
  [seed-incident]="The seed incident: net.ipv4.ip_forward was reset to 0 by a reboot, so the app pods' pings, TCP and UDP to the remote and the outside client's requests to the EIPs arrive at the gateway (inside vpc0, outside ext2) and are never forwarded, silently; DNAT counters climb, SNAT counters stay 0; the node's boot configuration (sysctl-boot.txt) sets no ip_forward, so every reboot brings the 0 back."
  [healthy]="A healthy gateway (inside vpc0, outside ext2): floating IP, shared SNAT with --random-fully, TCP and UDP port forwards; every flow is delivered and translated as the rules say."
  [arp-disabled]="ARP is off on the outside interface ext2 (NOARP): the gateway's translated requests leave, but the upstream router's ARP who-has for the EIPs is never answered, so no reply ever comes back."
  [default-route-inside]="The default route points back into the VPC (via 172.22.8.11 on vpc0): the apps' traffic to the remote leaves vpc0 again instead of ext2, app's SNATed by its floating-IP rule and app2's not, with ICMP redirects from the gateway; the outside client's flows still pass."
  [conntrack-flushed]="The conntrack table was flushed (as by a restart or failover) under two live TCP connections, on a gateway with nf_conntrack_tcp_loose=0 and FORWARD dropping INVALID (inside lan1, outside wan9.7): app's connection to the remote stops in mid-stream, the client's through a port forward is reset by the gateway itself, new connections pass."
  [outside-no-carrier]="The outside interface ext2 lost its carrier (the router's end of the link went down): the apps' requests arrive on vpc0, are routed and translated, and go nowhere — the capture of ext2 holds not one packet, the gateway answers host unreachable when its ARP for the next hop times out, and ip addr shows NO-CARRIER."
  [mtu-exceeded]="The outside interface wan9.7 (a VLAN-style name) has MTU 1280: the app's 1428-byte DF pings get ICMP fragmentation-needed (mtu 1280) back on lan1 while small and 1028-byte pings pass; pcapng captures with interface names."
)

bash "$here/lab.sh" "$work" "${SAMPLE[@]}"
for name in "${!SAMPLE[@]}"; do
  rm -rf "${samples:?}/$name"
  mkdir -p "$samples/$name"
  cp "$work/${SAMPLE[$name]}"/* "$samples/$name/"
  printf '%s\n' "${README[$name]}" >"$samples/$name/README"
  chmod 644 "$samples/$name"/*
  echo "$name: $(du -sk "$samples/$name" | cut -f1) KB" >&2
done
