#!/usr/bin/env bash
# natlens netns reproduction lab.
#
# Builds, per scenario, a fresh two-interface NAT gateway out of network namespaces and veth pairs, applies
# the Kube-OVN VPC NAT gateway rule shape with iptables-legacy, injects one fault from
# shared/FAILURES.md (or none: healthy), drives real traffic through it while tcpdump/dumpcap capture
# on the gateway's two interfaces, then takes the state snapshot a gateway would give. Each scenario
# becomes OUTDIR/<scenario>/ laid out like a field bundle; OUTDIR/<scenario>.log keeps the lab's own output.
#
# Usage: lab.sh OUTDIR [SCENARIO...]      (default: every scenario; run as root)
#        lab.sh --list
#
# Topology (names get a per-run prefix so parallel runs never clash):
#   app ──┐
#         ├─ sw (bridge) ── [IN_IF] gw [OUT_IF] ── rt (upstream next hop + on-link outside client
#   app2 ─┘                                          + the remote server on its loopback)
set -euo pipefail
export LC_ALL=C

ALL_SCENARIOS=(
  healthy healthy-lan ip-forward-disabled forward-chain-drop forward-chain-reject intermittent-drop
  rp-filter-drop no-route egress-neighbor-unresolved arp-disabled mtu-exceeded snat-missing
  dnat-backend-unreachable stale-conntrack snapshot-backend-mismatch upstream-no-reply hairpin rate-limit iface-forwarding-off forward-one-way
  forward-chain-tcp-reset segmentation-offload refragment upstream-reject backend-refuses traceroute
  snat-wrong-interface eip-conflict eip-conflict-arp conntrack-full hairpin-no-snat eip-unassigned forward-unmodelled-match mss-clamp tc-shaper default-route-inside vpc-route-missing notrack third-interface masquerade
  conntrack-flushed conntrack-flushed-loose conntrack-flushed-leak snat-ports-exhausted backend-route-elsewhere nexthop-stale-mac pmtu-blackhole eip-stale-arp-upstream eip-on-inside mtu-exceeded-inbound
  ip-forward-disabled-nft snapshot-backend-mismatch-nft outside-no-carrier outside-link-down inside-no-carrier backend-silent port-forward-wrong-port two-faults port-forward-missing rules-lost raw-blocklist null-route backend-stale-mac
  hairpin-mark hairpin-mark-lost policy-routing policy-rule-lost point-to-point point-to-point-forward-off nft-share-dnat nft-share-dnat-unreachable nft-native nft-native-forward-drop nft-native-snat-wrong-interface nft-stateless-fip nft-stateless-fip-half
  docker-forward-drop ufw-forward-drop firewalld-forward-reject firewalld-snat-missing ipset-blocklist ipset-snat-subnet policy-rule-port
)

# scenario → "check-id|plan|capture format". Formats: pcap (µs), pcap-nano, pcapng (dumpcap, one file per
# interface with the interface name in the IDB), any (tcpdump -i any → LINUX_SLL2, one any.pcap), any-v1
# (tcpdump -i any -y LINUX_SLL, as tcpdump before 4.99 wrote it: no interface index, one any.pcap), pcapng-multi
# (one dumpcap on both interfaces: one gateway.pcapng, an interface description block per interface).
scenario_spec() {
  case "$1" in
    healthy) echo "-|vpc|pcap" ;;
    healthy-lan) echo "-|lan|pcapng" ;;
    ip-forward-disabled) echo "ip-forward-disabled|vpc|pcap" ;;
    ip-forward-disabled-nft) echo "ip-forward-disabled|lan|pcapng-multi" ;;
    snapshot-backend-mismatch-nft) echo "snapshot-backend-mismatch|vpc|pcap-nano" ;;
    forward-chain-drop) echo "forward-chain-drop|lan|pcap-nano" ;;
    forward-chain-reject) echo "forward-chain-drop|vpc|pcapng" ;;
    intermittent-drop) echo "intermittent-drop|vpc|any-v1" ;;
    rp-filter-drop) echo "rp-filter-drop|lan|pcap" ;;
    no-route) echo "no-route|vpc|any" ;;
    egress-neighbor-unresolved) echo "egress-neighbor-unresolved|lan|pcap" ;;
    arp-disabled) echo "arp-disabled|vpc|pcap" ;;
    mtu-exceeded) echo "mtu-exceeded|lan|pcapng" ;;
    snat-missing) echo "snat-missing|vpc|pcap-nano" ;;
    dnat-backend-unreachable) echo "dnat-backend-unreachable|lan|pcap" ;;
    stale-conntrack) echo "stale-conntrack|vpc|pcap" ;;
    snapshot-backend-mismatch) echo "snapshot-backend-mismatch|lan|any" ;;
    upstream-no-reply) echo "upstream-no-reply|vpc|pcap" ;;
    hairpin) echo "-|lan|pcapng-multi" ;;
    rate-limit) echo "intermittent-drop|lan|pcapng" ;;
    iface-forwarding-off) echo "ip-forward-disabled|vpc|any" ;;
    forward-one-way) echo "forward-chain-drop|lan|pcap-nano" ;;
    forward-chain-tcp-reset) echo "forward-chain-drop|lan|pcap" ;;
    segmentation-offload) echo "-|lan|pcapng" ;;
    refragment) echo "-|vpc|any" ;;
    upstream-reject) echo "upstream-no-reply|lan|pcap-nano" ;;
    backend-refuses) echo "upstream-no-reply|vpc|any-v1" ;;
    traceroute) echo "-|lan|pcap" ;;
    snat-wrong-interface) echo "snat-missing|lan|pcap" ;;
    eip-conflict) echo "upstream-no-reply|vpc|pcapng" ;;
    eip-conflict-arp) echo "egress-neighbor-unresolved|lan|pcap-nano" ;;
    conntrack-full) echo "conntrack-table-full|vpc|pcapng" ;;
    hairpin-no-snat) echo "snat-missing|lan|any" ;;
    eip-unassigned) echo "arp-disabled|vpc|pcap-nano" ;;
    forward-unmodelled-match) echo "forward-chain-drop|lan|pcapng" ;;
    mss-clamp) echo "-|vpc|pcap" ;;
    tc-shaper) echo "intermittent-drop|lan|any" ;;
    default-route-inside) echo "no-route|vpc|pcap" ;;
    vpc-route-missing) echo "no-route|lan|pcap-nano" ;;
    notrack) echo "snat-missing|vpc|pcapng" ;;
    third-interface) echo "-|lan|any" ;;
    masquerade) echo "-|vpc|pcap-nano" ;;
    conntrack-flushed) echo "conntrack-state-lost|lan|pcap" ;;
    conntrack-flushed-loose) echo "conntrack-state-lost|vpc|pcapng" ;;
    conntrack-flushed-leak) echo "conntrack-state-lost|lan|any" ;;
    snat-ports-exhausted) echo "snat-ports-exhausted|vpc|pcap" ;;
    backend-route-elsewhere) echo "upstream-no-reply|lan|pcap-nano" ;;
    nexthop-stale-mac) echo "egress-neighbor-unresolved|vpc|pcapng" ;;
    pmtu-blackhole) echo "forward-chain-drop|lan|pcap" ;;
    eip-stale-arp-upstream) echo "upstream-no-reply|vpc|pcap-nano" ;;
    eip-on-inside) echo "arp-disabled|lan|pcapng" ;;
    mtu-exceeded-inbound) echo "mtu-exceeded|vpc|any" ;;
    outside-no-carrier) echo "interface-down|vpc|pcap" ;;
    outside-link-down) echo "interface-down|lan|pcapng" ;;
    inside-no-carrier) echo "interface-down|lan|any" ;;
    backend-silent) echo "upstream-no-reply|vpc|pcapng" ;;
    port-forward-wrong-port) echo "upstream-no-reply|lan|pcap" ;;
    two-faults) echo "forward-chain-drop|vpc|pcap" ;;
    port-forward-missing) echo "dnat-missing|lan|any" ;;
    rules-lost) echo "snat-missing|lan|pcapng-multi" ;;
    raw-blocklist) echo "forward-chain-drop|vpc|pcap-nano" ;;
    null-route) echo "no-route|lan|pcapng" ;;
    backend-stale-mac) echo "egress-neighbor-unresolved|vpc|pcap" ;;
    hairpin-mark) echo "-|vpc|pcapng" ;;
    hairpin-mark-lost) echo "snat-missing|vpc|pcap-nano" ;;
    policy-routing) echo "-|lan|pcap" ;;
    policy-rule-lost) echo "no-route|vpc|pcapng" ;;
    point-to-point) echo "upstream-no-reply|lan|pcap" ;;
    point-to-point-forward-off) echo "ip-forward-disabled|vpc|pcapng" ;;
    nft-share-dnat) echo "-|lan|pcap" ;;
    nft-share-dnat-unreachable) echo "dnat-backend-unreachable|vpc|pcapng" ;;
    nft-native) echo "-|vpc|pcap-nano" ;;
    nft-native-forward-drop) echo "forward-chain-drop|lan|any" ;;
    docker-forward-drop) echo "forward-chain-drop|vpc|pcap" ;;
    ufw-forward-drop) echo "forward-chain-drop|lan|pcapng" ;;
    firewalld-forward-reject) echo "forward-chain-drop|vpc|pcap-nano" ;;
    firewalld-snat-missing) echo "snat-missing|lan|pcapng" ;;
    nft-native-snat-wrong-interface) echo "snat-missing|lan|pcapng" ;;
    nft-stateless-fip) echo "-|vpc|pcap" ;;
    nft-stateless-fip-half) echo "snat-missing|lan|pcap-nano" ;;
    ipset-blocklist) echo "forward-chain-drop|vpc|pcapng" ;;
    ipset-snat-subnet) echo "snat-missing|lan|pcap" ;;
    policy-rule-port) echo "no-route|vpc|any" ;;
    *) return 1 ;;
  esac
}

# Address plans. Neither uses the field's names (eth0/net1) nor its addresses; all of them exist only inside
# this lab's namespaces. REMOTE2 is a second remote server address, the target of the size-dependent pings of
# mtu-exceeded (so those flows are told apart by address, not by packet size). SPOOF_* is an outside source the gateway believes lives behind the VPC side
# (rp-filter-drop); GHOST_* are addresses nobody owns.
load_plan() {
  case "$1" in
    vpc)
      IN_IF=vpc0 OUT_IF=ext2
      IN_CIDR=172.22.8.0/24 IN_LEN=24 IN_BCAST=172.22.8.255 GW_IN=172.22.8.1 APP=172.22.8.10 APP2=172.22.8.11 GHOST_IN=172.22.8.99
      OUT_LEN=24 EIP=198.18.40.21 EIP2=198.18.40.22 NEXTHOP=198.18.40.1 CLIENT=198.18.40.5 GHOST_OUT=198.18.40.9
      REMOTE=192.0.2.80 REMOTE2=192.0.2.81 SPOOF=198.18.41.7 SPOOF_NET=198.18.41.0/24 FAR=198.51.100.7 FAR_NET=198.51.100.0/24
      BEHIND=172.22.9.11 BEHIND_NET=172.22.9.0/24
      TCP_PORT=80 UDP_PORT=53 FWD_TCP=8080 APP2_TCP=80 FWD_UDP=5353 APP2_UDP=5353 BULK_TCP=5001 BULK_FWD_TCP=5002
      ;;
    lan)
      IN_IF=lan1 OUT_IF=wan9.7
      IN_CIDR=10.77.0.0/16 IN_LEN=16 IN_BCAST=10.77.255.255 GW_IN=10.77.255.254 APP=10.77.3.10 APP2=10.77.3.20 GHOST_IN=10.77.9.9
      OUT_LEN=24 EIP=100.64.9.33 EIP2=100.64.9.34 NEXTHOP=100.64.9.254 CLIENT=100.64.9.77 GHOST_OUT=100.64.9.200
      REMOTE=198.19.7.7 REMOTE2=198.19.7.8 SPOOF=100.65.0.7 SPOOF_NET=100.65.0.0/24 FAR=203.0.113.7 FAR_NET=203.0.113.0/24
      BEHIND=10.78.3.20 BEHIND_NET=10.78.0.0/16
      TCP_PORT=443 UDP_PORT=123 FWD_TCP=9443 APP2_TCP=443 FWD_UDP=10053 APP2_UDP=53 BULK_TCP=8081 BULK_FWD_TCP=8082
      ;;
    *) return 1 ;;
  esac
  PLAN=$1
}

log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S.%N | cut -c1-12)" "$*" >&2; }
die() { log "error: $*"; exit 2; }

# ---------------------------------------------------------------------------------------------- cleanup
NAMESPACES=()
BG_PIDS=()
CAP_PIDS=()

teardown() {
  local pid ns
  # Captures first, with SIGINT so tcpdump/dumpcap flush and close their files.
  for pid in "${CAP_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${CAP_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ns in "${NAMESPACES[@]}"; do
    # Anything still running inside our own namespaces was started by this script (servers, pings).
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  NAMESPACES=() BG_PIDS=() CAP_PIDS=()
  if [[ -n $FW_ETC ]]; then rm -rf "$FW_ETC" "$FW_BUS"; FW_ETC=; fi
  # conntrack-full lowers the kernel's conntrack limit, which is global (each namespace's table is held to it).
  if [[ -n $CT_MAX_SAVED ]]; then echo "$CT_MAX_SAVED" >/proc/sys/net/netfilter/nf_conntrack_max || true; CT_MAX_SAVED=; fi
}
CT_MAX_SAVED=
FW_ETC= FW_BUS=
CURRENT_LOG=
LAB_LOCK=/tmp/natlens-lab.lock
HOLDS_LOCK=
take_lab_lock() {
  local waited=0 holder
  until mkdir "$LAB_LOCK" 2>/dev/null; do
    holder=$(cat "$LAB_LOCK/pid" 2>/dev/null || true)
    if [[ -n $holder ]] && ! kill -0 "$holder" 2>/dev/null; then
      rm -rf "$LAB_LOCK"
      continue
    fi
    ((waited % 30 == 0)) && log "another lab run (pid ${holder:-?}) holds $LAB_LOCK: waiting for it"
    ((waited < 1200)) || die "gave up waiting for $LAB_LOCK after ${waited} s"
    sleep 1
    waited=$((waited + 1))
  done
  echo $$ >"$LAB_LOCK/pid"
  HOLDS_LOCK=1
}
# fd 3 keeps the caller's stderr: the EXIT trap may run while a scenario's output is redirected to its log.
exec 3>&2
on_exit() {
  local rc=$?
  teardown
  if [[ -n $HOLDS_LOCK ]]; then rm -rf "$LAB_LOCK"; HOLDS_LOCK=; fi
  if [[ $rc != 0 && -n $CURRENT_LOG && -f $CURRENT_LOG ]]; then
    echo "lab.sh: failed (exit $rc); last lines of $CURRENT_LOG:" >&3
    tail -n 20 "$CURRENT_LOG" >&3
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
gw() { in_ns "$NS_GW" "$@"; }
rt() { in_ns "$NS_RT" "$@"; }
app() { in_ns "$NS_APP" "$@"; }
app2() { in_ns "$NS_APP2" "$@"; }
# The gateway's own rules: iptables-legacy (what Kube-OVN's script prefers), or iptables-nft for the scenarios
# named *-nft (what `iptables` is on most distributions now); RULES_BACKEND is set per scenario.
RULES_BACKEND=iptables-legacy
ipt() { gw "$RULES_BACKEND" "$@"; }
# Background servers and captures run ip netns exec directly (no shell function in between), so $! is the
# server/capture process itself and signals reach it.
bg_in() { local ns=$1; shift; ip netns exec "$ns" "$@" & BG_PIDS+=("$!"); }

# ---------------------------------------------------------------------------------------------- topology
build_topology() {
  local pfx=$1
  NS_GW=$pfx-gw NS_SW=$pfx-sw NS_APP=$pfx-app NS_APP2=$pfx-app2 NS_RT=$pfx-rt
  local ns
  for ns in "$NS_SW" "$NS_APP" "$NS_APP2" "$NS_GW" "$NS_RT"; do
    ip netns add "$ns"
    NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
  done

  # The VPC subnet: a bridge standing in for the logical switch.
  ip -n "$NS_SW" link add name br0 type bridge forward_delay 0 stp_state 0
  ip link add name "$IN_IF" netns "$NS_GW" type veth peer name to-gw netns "$NS_SW"
  ip link add name eth0 netns "$NS_APP" type veth peer name to-app netns "$NS_SW"
  ip link add name eth0 netns "$NS_APP2" type veth peer name to-app2 netns "$NS_SW"
  for port in to-gw to-app to-app2; do ip -n "$NS_SW" link set "$port" master br0 up; done
  ip -n "$NS_SW" link set br0 up

  ip -n "$NS_GW" addr add "$GW_IN/$IN_LEN" dev "$IN_IF"
  ip -n "$NS_GW" link set "$IN_IF" up
  if [[ $OUT_LINK == tun ]]; then
    # The external network is a point-to-point link, as a VPN (tun, WireGuard) or PPPoE uplink is: no MAC, no
    # ARP (the NOARP flag comes with the link), captured as raw IP. Two tun devices joined by one socat, made
    # here and moved into the gateway's and the router's namespaces (they keep working there).
    local tun_up=$pfx-up
    socat "TUN,tun-name=$OUT_IF,iff-no-pi" "TUN,tun-name=$tun_up,iff-no-pi" 2>/dev/null &
    BG_PIDS+=("$!")
    for _ in $(seq 50); do ip link show "$tun_up" >/dev/null 2>&1 && ip link show "$OUT_IF" >/dev/null 2>&1 && break; sleep 0.1; done
    ip link set "$OUT_IF" netns "$NS_GW"
    ip link set "$tun_up" netns "$NS_RT"
    ip -n "$NS_RT" link set "$tun_up" name up0
    ip -n "$NS_GW" addr add "$EIP" peer "$NEXTHOP/32" dev "$OUT_IF"
    ip -n "$NS_GW" addr add "$EIP2/32" dev "$OUT_IF"
    ip -n "$NS_GW" link set "$OUT_IF" up
    ip -n "$NS_GW" route add default dev "$OUT_IF"
  else
    # The external network: the gateway's outside interface faces the upstream router.
    ip link add name "$OUT_IF" netns "$NS_GW" type veth peer name up0 netns "$NS_RT"
    ip -n "$NS_GW" addr add "$EIP/$OUT_LEN" dev "$OUT_IF"
    ip -n "$NS_GW" addr add "$EIP2/$OUT_LEN" dev "$OUT_IF"
    ip -n "$NS_GW" link set "$OUT_IF" up
    ip -n "$NS_GW" route add default via "$NEXTHOP" dev "$OUT_IF"
  fi

  ip -n "$NS_APP" addr add "$APP/$IN_LEN" dev eth0
  ip -n "$NS_APP" link set eth0 up
  ip -n "$NS_APP" route add default via "$GW_IN"
  ip -n "$NS_APP2" addr add "$APP2/$IN_LEN" dev eth0
  ip -n "$NS_APP2" link set eth0 up
  ip -n "$NS_APP2" route add default via "$GW_IN"

  # The router owns the next hop and, as a secondary address, the on-link outside client; the remote server
  # sits beyond it (on its loopback). It has no route to the VPC's private subnet, like the real internet.
  if [[ $OUT_LINK == tun ]]; then
    # The router's end of the link, and the routes to the gateway's addresses; the outside client is its own.
    ip -n "$NS_RT" addr add "$NEXTHOP" peer "$EIP/32" dev up0
    ip -n "$NS_RT" addr add "$CLIENT/32" dev lo
    ip -n "$NS_RT" link set up0 up
    ip -n "$NS_RT" route add "$EIP2/32" dev up0
  else
    ip -n "$NS_RT" addr add "$NEXTHOP/$OUT_LEN" dev up0
    ip -n "$NS_RT" addr add "$CLIENT/$OUT_LEN" dev up0
  fi
  ip -n "$NS_RT" addr add "$REMOTE/32" dev lo
  ip -n "$NS_RT" addr add "$REMOTE2/32" dev lo
  ip -n "$NS_RT" link set up0 up

  local if
  gw sysctl -qw net.ipv4.ip_forward=1
  for if in all default "$IN_IF" "$OUT_IF"; do gw sysctl -qw "net.ipv4.conf.${if//./\/}.rp_filter=0"; done
}

# The Kube-OVN VPC NAT gateway shape: floating IP (EXCLUSIVE_*) for app, shared SNAT for the subnet with
# --random-fully, a TCP and a UDP port forward on EIP2 to app2. $1: DNAT target of the floating IP;
# $2: "nosnat" leaves both SNAT chains empty, "wrongif" writes the shared SNAT for an outside interface named net1.
install_rules() {
  local fip_target=$1 snat=${2:-snat} c
  for c in DNAT_FILTER EXCLUSIVE_DNAT SHARED_DNAT SNAT_FILTER EXCLUSIVE_SNAT SHARED_SNAT; do ipt -t nat -N "$c"; done
  ipt -t nat -A PREROUTING -j DNAT_FILTER
  ipt -t nat -A POSTROUTING -j SNAT_FILTER
  ipt -t nat -A DNAT_FILTER -j EXCLUSIVE_DNAT
  ipt -t nat -A DNAT_FILTER -j SHARED_DNAT
  ipt -t nat -A SNAT_FILTER -j EXCLUSIVE_SNAT
  ipt -t nat -A SNAT_FILTER -j SHARED_SNAT
  ipt -t nat -A EXCLUSIVE_DNAT -d "$EIP/32" -j DNAT --to-destination "$fip_target"
  ipt -t nat -A SHARED_DNAT -d "$EIP2/32" -p tcp -m tcp --dport "$FWD_TCP" -j DNAT --to-destination "$APP2:$APP2_TCP"
  ipt -t nat -A SHARED_DNAT -d "$EIP2/32" -p udp -m udp --dport "$FWD_UDP" -j DNAT --to-destination "$APP2:$APP2_UDP"
  if [[ $snat == snat ]]; then
    ipt -t nat -A EXCLUSIVE_SNAT -s "$APP/32" -j SNAT --to-source "$EIP"
    ipt -t nat -A SHARED_SNAT -s "$IN_CIDR" -o "$OUT_IF" -j SNAT --to-source "$EIP2" --random-fully
  elif [[ $snat == wrongif ]]; then
    # The shared SNAT written for another outside interface name (the field's net1, where this gateway's is
    # another): the floating IP's own SNAT has no -o and still works, the subnet's leaves untranslated.
    ipt -t nat -A EXCLUSIVE_SNAT -s "$APP/32" -j SNAT --to-source "$EIP"
    ipt -t nat -A SHARED_SNAT -s "$IN_CIDR" -o net1 -j SNAT --to-source "$EIP2" --random-fully
  fi
}

# ---------------------------------------------------------------------------------------------- traffic
# shellcheck disable=SC2016
start_servers() {
  # Small request/response servers: a line in, a line out, like the field's HTTP-ish and DNS-ish exchanges.
  # ($l is expanded by the shell socat runs for each connection, hence the single quotes.)
  bg_in "$NS_RT" socat -T 3 "TCP-LISTEN:$TCP_PORT,bind=$REMOTE,reuseaddr,fork" SYSTEM:'read -r l; echo "remote answers $l"'
  bg_in "$NS_RT" socat "UDP-RECVFROM:$UDP_PORT,bind=$REMOTE,fork" SYSTEM:'read -r l; echo "remote answers $l"'
  bg_in "$NS_APP2" socat -T 3 "TCP-LISTEN:$APP2_TCP,reuseaddr,fork" SYSTEM:'read -r l; echo "app2 serves $l"'
  bg_in "$NS_APP2" socat "UDP-RECVFROM:$APP2_UDP,fork" SYSTEM:'read -r l; echo "app2 answers $l"'
  for _ in $(seq 50); do
    if rt ss -Hltn "sport = :$TCP_PORT" | grep -q . && app2 ss -Hltn "sport = :$APP2_TCP" | grep -q .; then return 0; fi
    sleep 0.1
  done
  die "servers did not start"
}

# Each client is bounded by timeout(1) so a blocked path never hangs the lab.
ping_from() { local ns=$1; shift; timeout 20 ip netns exec "$ns" ping -n -W 1 "$@" || true; }
tcp_req() { # ns dst port tag [bind]
  local bind=${5:+,bind=$5}
  printf 'GET /%s\n' "$4" | timeout "${TCP_TIMEOUT:-4}" ip netns exec "$1" \
    socat -T 2 - "TCP:$2:$3,connect-timeout=${TCP_CONNECT:-2}$bind" || true
}
udp_req() { # ns dst port tag [bind]
  local bind=${5:+,bind=$5}
  printf 'query-%s\n' "$4" | timeout 3 ip netns exec "$1" socat -t 1 -T 1 - "UDP:$2:$3$bind" || true
}

# A gratuitous ARP (a request for the sender's own address, broadcast) for $3 from interface $2 of namespace $1,
# written as a raw frame through a packet socket (socat INTERFACE), as arping -U would send it.
garp() { # ns iface address
  local mac hexmac ip frame
  mac=$(ip netns exec "$1" cat "/sys/class/net/$2/address")
  hexmac=$(printf '%s' "$mac" | sed 's/:/\\x/g; s/^/\\x/')
  ip=$(printf '%s' "$3" | awk -F. '{printf "\\x%02x\\x%02x\\x%02x\\x%02x", $1, $2, $3, $4}')
  frame="\xff\xff\xff\xff\xff\xff${hexmac}\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01${hexmac}${ip}\x00\x00\x00\x00\x00\x00${ip}"
  # shellcheck disable=SC2059
  printf "$frame" | ip netns exec "$1" socat -u - "INTERFACE:$2" || true
}

# A sink on the remote's bulk port for long-lived connections (what arrives is read and thrown away); returns once it listens.
remote_sink() {
  bg_in "$NS_RT" socat "TCP-LISTEN:$BULK_TCP,bind=$REMOTE,reuseaddr,fork" SYSTEM:'cat >/dev/null'
  for _ in $(seq 50); do rt ss -Hltn "sport = :$BULK_TCP" | grep -q . && break; sleep 0.1; done
}

# A long-lived TCP connection from namespace $1 in the background: $3 lines "$2-<n>", one every $4 s, to socat address $5.
ticker() { # ns tag count interval address
  bg_in "$1" bash -c "for i in \$(seq $3); do echo $2-\$i; sleep $4; done | socat -u - '$5'"
}

TRAFFIC_PIDS=()
spawn() { "$@" & TRAFFIC_PIDS+=("$!"); }
join() { local p; for p in "${TRAFFIC_PIDS[@]}"; do wait "$p" || true; done; TRAFFIC_PIDS=(); }

standard_traffic() {
  local count=${PING_COUNT:-5} interval=${PING_INTERVAL:-0.2}
  spawn ping_from "$NS_APP" -c "$count" -i "$interval" "$REMOTE"
  spawn ping_from "$NS_APP2" -c "$count" -i "$interval" "$REMOTE"
  spawn ping_from "$NS_RT" -c "$count" -i "$interval" -I "$CLIENT" "$EIP"
  join
  # All socket flows run in two concurrent rounds, so none starts after the others' retransmissions: a
  # capture's extent is only known from its last packet, and a flow begun after it would be unjudgeable.
  local n
  for n in 1 2; do
    spawn tcp_req "$NS_APP" "$REMOTE" "$TCP_PORT" "app-$n"
    spawn udp_req "$NS_APP" "$REMOTE" "$UDP_PORT" "app-$n"
    spawn tcp_req "$NS_RT" "$EIP2" "$FWD_TCP" "client-$n" "$CLIENT"
    spawn udp_req "$NS_RT" "$EIP2" "$FWD_UDP" "client-$n" "$CLIENT"
    join
  done
}

# What a LAN side carries besides the flows a gateway forwards: multicast discovery (mDNS, SSDP, an IGMP join),
# a subnet broadcast and a limited broadcast (as NetBIOS and DHCP send them). None of it is the gateway's to forward.
chatter() {
  spawn bash -c "echo q | timeout 2 ip netns exec '$NS_APP' socat -u - 'UDP-DATAGRAM:224.0.0.251:5353,ip-multicast-ttl=255' || true"
  spawn bash -c "printf 'M-SEARCH * HTTP/1.1\r\n\r\n' | timeout 2 ip netns exec '$NS_APP' socat -u - 'UDP-DATAGRAM:239.255.255.250:1900,ip-multicast-ttl=4' || true"
  spawn bash -c "timeout 1 ip netns exec '$NS_APP' socat -u 'UDP-RECV:5000,ip-add-membership=239.1.2.3:eth0' /dev/null || true"
  spawn bash -c "echo nb | timeout 2 ip netns exec '$NS_APP2' socat -u - 'UDP-DATAGRAM:$IN_BCAST:137,broadcast' || true"
  spawn bash -c "echo dhcp | timeout 2 ip netns exec '$NS_APP2' socat -u - 'UDP-DATAGRAM:255.255.255.255:67,broadcast' || true"
  join
}

# ---------------------------------------------------------------------------------------------- capture
capture_start() { # dir format
  local dir=$1 fmt=$2 if ifs=()
  # An interface set down cannot be captured (libpcap refuses it), as the user who met it found: only the others are.
  for if in "$IN_IF" "$OUT_IF"; do
    if gw ip link show "$if" | grep -Eq '<([^>]*,)?UP[,>]'; then ifs+=("$if"); else log "not capturing $if: it is down"; fi
  done
  case "$fmt" in
    pcap | pcap-nano)
      local prec=()
      [[ $fmt == pcap-nano ]] && prec=(--time-stamp-precision=nano)
      for if in "${ifs[@]}"; do
        ip netns exec "$NS_GW" tcpdump -Z root -n -U -i "$if" "${prec[@]}" -w "$dir/$if.pcap" 2>"$dir.cap-$if.err" &
        CAP_PIDS+=("$!")
      done
      ;;
    pcapng)
      for if in "${ifs[@]}"; do
        ip netns exec "$NS_GW" dumpcap -q -i "$if" -w "$dir/$if.pcapng" 2>"$dir.cap-$if.err" &
        CAP_PIDS+=("$!")
      done
      ;;
    pcapng-multi)
      # One dumpcap for both interfaces, one file: an IDB per interface, each packet naming its own.
      ip netns exec "$NS_GW" dumpcap -q -i "$IN_IF" -i "$OUT_IF" -w "$dir/gateway.pcapng" 2>"$dir.cap-multi.err" &
      CAP_PIDS+=("$!")
      ;;
    any | any-v1)
      local cooked=()
      [[ $fmt == any-v1 ]] && cooked=(-y LINUX_SLL)
      ip netns exec "$NS_GW" tcpdump -Z root -n -U -i any "${cooked[@]}" -w "$dir/any.pcap" 2>"$dir.cap-any.err" &
      CAP_PIDS+=("$!")
      ;;
    *) die "unknown capture format $fmt" ;;
  esac
  # Traffic must not start before every capture is really listening.
  local f ready
  for _ in $(seq 100); do
    ready=1
    for f in "$dir".cap-*.err; do grep -Eq 'listening on|Capturing on' "$f" || ready=0; done
    ((ready)) && break
    sleep 0.05
  done
  ((ready)) || die "capture did not start: $(cat "$dir".cap-*.err)"
  sleep 0.2
}

capture_stop() {
  local dir=$1 pid
  sleep 0.5 # let the last replies and retransmissions land
  # End both captures after every scenario packet, as a real gateway's background chatter would: a
  # capture's extent is only known from its packets, and natlens judges nothing outside the window both
  # captures cover. An app and the router each ask by ARP for an address nobody holds: a broadcast on each
  # capture, and no IP packet reaches the gateway (no counter, no conntrack entry changes).
  local a r
  app ping -c 1 -W 1 "$GHOST_IN" >/dev/null 2>&1 &
  a=$!
  if [[ $OUT_LINK == tun ]]; then
    # A point-to-point link has no ARP: the router pings every node on the link (IPv6, link-local) instead.
    rt ping -6 -c 1 -W 1 -I up0 ff02::1 >/dev/null 2>&1 &
  else
    rt ping -c 1 -W 1 "$GHOST_OUT" >/dev/null 2>&1 &
  fi
  r=$!
  wait "$a" "$r" || true
  # The capture ring hands packets to tcpdump/dumpcap in blocks retired by a timeout: give the last block
  # time to reach the file before SIGINT, or the final packets are lost.
  sleep 1.2
  for pid in "${CAP_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${CAP_PIDS[@]}"; do wait "$pid" || true; done
  CAP_PIDS=()
  cat "$dir".cap-*.err >&2
  rm -f "$dir".cap-*.err
  chmod 644 "$dir"/*.pcap* 2>/dev/null || true
}

# ufw enabled in the gateway's namespace, its configuration (/etc/ufw, /etc/default/ufw) bind-mounted from private
# copies in a mount namespace of its own: what `ufw enable` writes there does not reach the host's.
ufw_enable() {
  local d
  d=$(mktemp -d)
  cp -a /etc/ufw "$d/ufw"
  cp /etc/default/ufw "$d/default-ufw"
  unshare -m bash -c "mount --make-rprivate / && mount --bind '$d/ufw' /etc/ufw && mount --bind '$d/default-ufw' /etc/default/ufw && ip netns exec '$NS_GW' ufw --force enable" >/dev/null
  rm -rf "$d"
}

# firewalld in the gateway's namespace, on a D-Bus of its own (a session bus on a private socket, which firewalld takes
# for the system bus), and with a private copy of /etc/firewalld bind-mounted in a mount namespace of its own: what
# `firewall-cmd --permanent` writes stays there, the host's configuration is left as it was. Teardown stops it with
# the namespace's processes, and the bus with the background ones.
firewalld_start() {
  FW_BUS=$(mktemp -u /tmp/natlens-fw-XXXXXX.sock)
  dbus-daemon --session --address="unix:path=$FW_BUS" --nofork --nopidfile >/dev/null 2>&1 &
  BG_PIDS+=("$!")
  local i
  for i in $(seq 50); do [[ -S $FW_BUS ]] && break; sleep 0.1; done
  FW_ETC=$(mktemp -d /tmp/natlens-fw-etc-XXXXXX)
  cp -a /etc/firewalld/. "$FW_ETC/"
  bg_in "$NS_GW" unshare -m sh -c "mount --make-rprivate / && mount --bind '$FW_ETC' /etc/firewalld && exec env DBUS_SYSTEM_BUS_ADDRESS='unix:path=$FW_BUS' firewalld --nofork --nopid"
  for i in $(seq 100); do [[ $(fwc --state 2>/dev/null) == running ]] && return 0; sleep 0.2; done
  die "firewalld did not start in $NS_GW"
}
fwc() { gw env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$FW_BUS" firewall-cmd "$@"; }

# ---------------------------------------------------------------------------------------------- snapshot
snapshot() { # dir backend
  local dir=$1 backend=$2
  if [[ $backend == iptables-nft ]]; then
    # The nft frontend warns on stderr that legacy tables exist; keep that line, as `cmd > file 2>&1` does.
    gw iptables-nft-save -c >"$dir/iptables-save.txt" 2>&1
    gw iptables-nft -t nat -L -n -v >"$dir/iptables-nat-L.txt" 2>&1
    gw iptables-nft -t filter -L -n -v >"$dir/iptables-filter-L.txt" 2>&1
  else
    gw iptables-legacy-save -c >"$dir/iptables-save.txt"
    gw iptables-legacy -t nat -L -n -v >"$dir/iptables-nat-L.txt"
    gw iptables-legacy -t filter -L -n -v >"$dir/iptables-filter-L.txt"
  fi
  gw sysctl -a 2>/dev/null |
    grep -E '^net\.(ipv4\.(ip_forward|conf\.[^.]+\.(forwarding|rp_filter|arp_filter|arp_ignore) )|netfilter\.nf_conntrack_(count|max|tcp_loose|tcp_be_liberal) )' |
    grep -v '^net\.ipv4\.conf\.lo\.' >"$dir/sysctl.txt"
  gw ip -j addr >"$dir/ip-addr.json"
  gw ip addr >"$dir/ip-addr.txt"
  if [[ ${POLICY_ROUTING:-0} == 1 ]]; then
    # A gateway that routes by ip rule: every table, and the rules (text and JSON).
    gw ip -j route show table all >"$dir/ip-route.json"
    gw ip route show table all >"$dir/ip-route.txt"
    gw ip -j rule >"$dir/ip-rule.json"
  else
    gw ip -j route >"$dir/ip-route.json"
    gw ip route >"$dir/ip-route.txt"
  fi
  gw ip rule >"$dir/ip-rule.txt"
  gw ip -j neigh >"$dir/ip-neigh.json"
  # The sets iptables' -m set rules look packets up in: `ipset save` for one plan, `ipset list` for the other (natlens reads both).
  if [[ -n $(gw ipset list -n 2>/dev/null) ]]; then
    if [[ $PLAN == vpc ]]; then gw ipset save >"$dir/ipset-save.txt"; else gw ipset list >"$dir/ipset-list.txt"; fi
  fi
  gw conntrack -L >"$dir/conntrack.txt" 2>/dev/null || true
  gw conntrack -S >"$dir/conntrack-stats.txt" 2>/dev/null || true
  gw tc -s qdisc show >"$dir/tc-qdisc.txt"
  # Rules kept in nftables' own tables (not iptables'), where a scenario has them; and iptables-nft's rules as nft
  # lists them, where the snapshot was taken with iptables-nft (the same rules in nft's words).
  if [[ $backend == iptables-nft || -n $(gw nft list tables 2>/dev/null | grep -v -E '^table ip (nat|filter|mangle|raw)$') ]]; then
    gw nft list ruleset >"$dir/nft-ruleset.txt"
  fi
}

write_lab_json() { # dir scenario check format snapshot-backend
  local check=null
  [[ $3 != - ]] && check="\"$3\""
  printf '{"scenario":"%s","check":%s,"backend":"%s","snapshotBackend":"%s","plan":"%s","inside":"%s","outside":"%s","capture":"%s","addresses":{"gatewayInside":"%s","app":"%s","app2":"%s","insideCidr":"%s","eip":"%s","eip2":"%s","nexthop":"%s","client":"%s","remote":"%s","remote2":"%s","spoof":"%s","ghostInside":"%s","ghostOutside":"%s","far":"%s","behind":"%s"},"ports":{"remoteTcp":%s,"remoteUdp":%s,"forwardTcp":%s,"app2Tcp":%s,"forwardUdp":%s,"app2Udp":%s,"bulkTcp":%s,"bulkForwardTcp":%s}}\n' \
    "$2" "$check" "$RULES_BACKEND" "$5" "$PLAN" "$IN_IF" "$OUT_IF" "$4" "$GW_IN" "$APP" "$APP2" "$IN_CIDR" "$EIP" "$EIP2" "$NEXTHOP" \
    "$CLIENT" "$REMOTE" "$REMOTE2" "$SPOOF" "$GHOST_IN" "$GHOST_OUT" "$FAR" "$BEHIND" "$TCP_PORT" "$UDP_PORT" "$FWD_TCP" "$APP2_TCP" "$FWD_UDP" \
    "$APP2_UDP" "$BULK_TCP" "$BULK_FWD_TCP" >"$1/lab.json"
}

# ---------------------------------------------------------------------------------------------- scenarios
run_scenario() { # outdir scenario index
  local out=$1 name=$2 idx=$3 spec check plan fmt
  spec=$(scenario_spec "$name") || die "unknown scenario $name"
  IFS='|' read -r check plan fmt <<<"$spec"
  load_plan "$plan"
  local dir=$out/$name
  rm -rf "$dir"
  mkdir -p "$dir"
  OUT_LINK=veth
  [[ $name == point-to-point* ]] && OUT_LINK=tun
  build_topology "nl$$s$idx"

  local fip_target=$APP snat=snat backend=iptables-legacy POLICY_ROUTING=0
  RULES_BACKEND=iptables-legacy
  if [[ $name == *-nft ]]; then RULES_BACKEND=iptables-nft backend=iptables-nft; fi
  # ufw writes with plain `iptables`: the gateway's other rules go to the same backend.
  if [[ $name == ufw-* ]]; then
    if iptables -V | grep -q nf_tables; then RULES_BACKEND=iptables-nft backend=iptables-nft; fi
  fi
  [[ $name == dnat-backend-unreachable ]] && fip_target=$GHOST_IN
  [[ $name == vpc-route-missing ]] && fip_target=$BEHIND
  [[ $name == snat-missing || $name == two-faults || $name == firewalld-snat-missing ]] && snat=nosnat
  [[ $name == snat-wrong-interface ]] && snat=wrongif
  install_rules "$fip_target" "$snat"
  start_servers
  PING_COUNT=5 PING_INTERVAL=0.2 TCP_TIMEOUT=4 TCP_CONNECT=2

  # Faults that exist before the capture starts.
  case "$name" in
    ip-forward-disabled | ip-forward-disabled-nft | point-to-point-forward-off)
      # The seed incident: a reboot reset the sysctl. Writing ip_forward=0 also resets every conf.*.forwarding.
      # (-nft: the same with the rules in nf_tables, listed by iptables-nft: its own header and listing.)
      gw sysctl -qw net.ipv4.ip_forward=0 ;;
    forward-chain-drop) ipt -P FORWARD DROP ;;
    firewalld-forward-reject)
      # The gateway's firewall is firewalld (RHEL, Fedora), nftables backend, run for real: the inside interface in
      # zone internal, the outside in zone external (which masquerades). firewalld 1.x forwards between zones only
      # where a policy says so, and there is none: its filter_FORWARD accepts replies and DNATed connections (the
      # port forwards work) and rejects the rest with admin-prohibited — the VPC's own traffic out.
      firewalld_start
      fwc --zone=internal --change-interface="$IN_IF" >/dev/null
      fwc --zone=external --change-interface="$OUT_IF" >/dev/null ;;
    firewalld-snat-missing)
      # A gateway whose NAT is firewalld's (the Kube-OVN SNAT rules gone): a policy forwards from zone internal (the
      # inside) to zone external (the outside), but the external zone's masquerade was removed — what the VPC sends
      # leaves with its private source. The policy is permanent (firewalld makes policies no other way), in
      # firewalld's private copy of its configuration.
      firewalld_start
      fwc --permanent --new-policy=internal-external >/dev/null
      fwc --permanent --policy=internal-external --add-ingress-zone=internal >/dev/null
      fwc --permanent --policy=internal-external --add-egress-zone=external >/dev/null
      fwc --permanent --policy=internal-external --set-target=ACCEPT >/dev/null
      fwc --reload >/dev/null
      fwc --zone=internal --change-interface="$IN_IF" >/dev/null
      fwc --zone=external --change-interface="$OUT_IF" >/dev/null
      fwc --zone=external --remove-masquerade >/dev/null ;;
    ufw-forward-drop)
      # The gateway's own firewall is ufw (Ubuntu's front end), enabled with its defaults: FORWARD's policy DROP
      # (DEFAULT_FORWARD_POLICY), its before-forward rules accepting replies, ICMP errors and echo requests — so
      # pings get through while TCP and UDP stop: "ping works, nothing else does". ufw itself writes the rules, on
      # private copies of its configuration (the host's own is left as it was).
      ufw_enable ;;
    docker-forward-drop)
      # The gateway also runs Docker. dockerd sets FORWARD's policy to DROP each time it starts and accepts only
      # its containers' traffic (docker0), so the gateway forwards nothing of its own: the usual "Docker broke my
      # router". Docker's rules as dockerd writes them (Engine 24), with a bridge of its own.
      gw ip link add docker0 type bridge
      gw ip addr add 172.17.0.1/16 dev docker0
      gw ip link set docker0 up
      local c
      for c in DOCKER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER-USER; do ipt -N "$c"; done
      ipt -P FORWARD DROP
      ipt -A FORWARD -j DOCKER-USER
      ipt -A FORWARD -j DOCKER-ISOLATION-STAGE-1
      ipt -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
      ipt -A FORWARD -o docker0 -j DOCKER
      ipt -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
      ipt -A FORWARD -i docker0 -o docker0 -j ACCEPT
      ipt -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
      ipt -A DOCKER-ISOLATION-STAGE-1 -j RETURN
      ipt -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
      ipt -A DOCKER-ISOLATION-STAGE-2 -j RETURN
      ipt -A DOCKER-USER -j RETURN
      ipt -t nat -N DOCKER
      ipt -t nat -I PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
      ipt -t nat -I OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
      ipt -t nat -I POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
      ipt -t nat -A DOCKER -i docker0 -j RETURN ;;
    forward-chain-reject) ipt -A FORWARD -d "$REMOTE/32" -j REJECT --reject-with icmp-port-unreachable ;;
    forward-chain-tcp-reset)
      # REJECT answers TCP with a reset that the gateway sends in the remote's name (its address, the gateway's
      # MAC) and everything else with ICMP net-unreachable — what a missing route also sends, so only the rule tells
      # the two apart. The app sees "connection refused" or "network unreachable", not silence.
      ipt -A FORWARD -d "$REMOTE/32" -p tcp -j REJECT --reject-with tcp-reset
      ipt -A FORWARD -d "$REMOTE/32" -j REJECT --reject-with icmp-net-unreachable ;;
    intermittent-drop)
      ipt -A FORWARD -m statistic --mode random --probability 0.3 -j DROP
      PING_COUNT=40 PING_INTERVAL=0.1 TCP_TIMEOUT=8 TCP_CONNECT=6 ;;
    iface-forwarding-off)
      # Forwarding off on the inside interface only (net.ipv4.conf.<if>.forwarding): what arrives there is not
      # forwarded (the app's requests, the VPC side's replies); what arrives outside still is.
      gw sysctl -qw "net.ipv4.conf.${IN_IF//./\/}.forwarding=0" ;;
    forward-one-way)
      # FORWARD lets in what comes from outside and nothing back: policy DROP, one ACCEPT for the outside
      # interface, none for the return direction. Outside clients' requests pass, their replies do not; the
      # VPC side's own requests do not leave.
      ipt -P FORWARD DROP
      ipt -A FORWARD -i "$OUT_IF" -j ACCEPT ;;
    rate-limit)
      # The other face of intermittent-drop: a rate limit (-m limit) lets echo requests through up to a rate and
      # a DROP after it takes the rest; TCP and UDP pass.
      ipt -A FORWARD -p icmp --icmp-type echo-request -m limit --limit 10/second --limit-burst 5 -j ACCEPT
      ipt -A FORWARD -p icmp --icmp-type echo-request -j DROP
      PING_COUNT=30 PING_INTERVAL=0.05 ;;
    rp-filter-drop)
      # Strict reverse-path filtering on the outside interface, and a route that puts SPOOF_NET behind the VPC
      # side: packets from SPOOF arrive on OUT_IF but their reverse route points out IN_IF (RFC 3704 strict mode).
      gw sysctl -qw "net.ipv4.conf.${OUT_IF//./\/}.rp_filter=1"
      gw ip route add "$SPOOF_NET" via "$APP2" dev "$IN_IF"
      ip -n "$NS_RT" addr add "$SPOOF/32" dev lo
      # The router announces ARP from its primary address, so only the data packets carry the spoofed source.
      rt sysctl -qw net.ipv4.conf.all.arp_announce=2
      rt sysctl -qw net.ipv4.conf.up0.arp_announce=2 ;;
    no-route) gw ip route del default ;;
    egress-neighbor-unresolved) gw ip route replace default via "$GHOST_OUT" dev "$OUT_IF" ;;
    arp-disabled)
      rt ip neigh flush dev up0
      gw ip link set "$OUT_IF" arp off
      # Turning ARP off flushes the gateway's neighbour table; the next hop stays reachable through a static
      # entry, so the gateway's own packets do leave OUT_IF and it is the outside that cannot resolve the EIPs.
      local rmac
      rmac=$(rt cat /sys/class/net/up0/address)
      gw ip neigh replace "$NEXTHOP" lladdr "$rmac" dev "$OUT_IF" nud permanent ;;
    mtu-exceeded)
      gw ip link set "$OUT_IF" mtu 1280
      # A locked route MTU makes the app ignore "fragmentation needed" (RFC 1191 PMTU updates), so every large
      # DF ping reaches the gateway instead of failing locally after the first.
      app ip route replace default via "$GW_IN" dev eth0 mtu lock 1500 ;;
    hairpin)
      # Healthy, plus NAT loopback: app2 pings app's floating IP from inside. DNAT sends it back out the way it
      # came, and a masquerade on that same interface brings app's replies back through the gateway. The
      # gateway sends no ICMP redirects (it forwards out the interface the packet came in by).
      ipt -t nat -A POSTROUTING -s "$IN_CIDR" -d "$IN_CIDR" -o "$IN_IF" -j MASQUERADE
      gw sysctl -qw net.ipv4.conf.all.send_redirects=0
      gw sysctl -qw "net.ipv4.conf.${IN_IF//./\/}.send_redirects=0" ;;
    masquerade)
      # Healthy, the subnet's SNAT written as most Linux gateways write it: MASQUERADE, which takes the outside
      # interface's primary address (the EIP, not EIP2) and remaps ports.
      ipt -t nat -R SHARED_SNAT 1 -s "$IN_CIDR" -o "$OUT_IF" -j MASQUERADE --random-fully ;;
    third-interface)
      # Healthy, on a gateway with a third interface (a management network, mgmt0) that an operator's host pings
      # and queries the gateway over: -i any captures it too. It is neither side of the NAT, none of its traffic is
      # forwarded, and it must not be taken for the inside.
      ip link add name mgmt0 netns "$NS_GW" type veth peer name mgmt1 netns "$NS_RT"
      gw ip addr add 10.250.0.1/24 dev mgmt0
      gw ip link set mgmt0 up
      rt ip addr add 10.250.0.2/24 dev mgmt1
      rt ip link set mgmt1 up ;;
    notrack)
      # A raw-table rule exempts app2 from connection tracking (as one written to spare a busy service the
      # conntrack table would): NAT works on conntrack entries, so app2's packets are forwarded untranslated.
      ipt -t raw -A PREROUTING -s "$APP2/32" -j CT --notrack ;;
    vpc-route-missing)
      # A VPC with a second subnet behind a VPC router (app2 stands in for both: BEHIND on its loopback, forwarding
      # on), and the floating IP DNATed to a host there; the gateway lacks the route for that subnet via the VPC
      # side, so the default route takes the DNATed packets back out the outside interface, to the upstream router,
      # which has no route for them either.
      app2 sysctl -qw net.ipv4.ip_forward=1
      app2 ip addr add "$BEHIND/32" dev lo
      # The subnet is SNATed too: its own pings to the remote leave translated, and their replies, the SNAT undone,
      # follow the default route back out the outside interface.
      ipt -t nat -A SHARED_SNAT -s "$BEHIND_NET" -o "$OUT_IF" -j SNAT --to-source "$EIP2" --random-fully
      log "the gateway has no route for $BEHIND_NET (it would be: via $APP2 dev $IN_IF)" ;;
    policy-routing | policy-rule-lost)
      # Routing by ip rule, as Kube-OVN's gateway script did before it used the main table: the main table keeps the
      # pod's own default route, into the VPC (via app2 here), and what comes in by either side is routed by table 100,
      # which holds the VPC subnet and the default route out the outside interface. Healthy.
      # policy-rule-lost: the rule for what comes in from the VPC side is gone (the rules are not persistent; a restart
      # that re-added the routes but not that rule): what the apps send out is routed by main, back into the VPC.
      POLICY_ROUTING=1
      gw ip route replace default via "$APP2" dev "$IN_IF"
      gw ip route add "$IN_CIDR" dev "$IN_IF" table 100
      gw ip route add default via "$NEXTHOP" dev "$OUT_IF" table 100
      gw ip rule add iif "$OUT_IF" table 100
      [[ $name == policy-routing ]] && gw ip rule add iif "$IN_IF" table 100
      gw sysctl -qw net.ipv4.conf.all.send_redirects=0
      gw sysctl -qw "net.ipv4.conf.${IN_IF//./\/}.send_redirects=0" ;;
    default-route-inside)
      # The default route points back into the VPC (a restart that left the VPC side's route as the default): what
      # the apps send to the remote is routed out the inside interface again, toward app2, which does not forward
      # it; the SNAT rules (-o OUT_IF, or for app's floating IP) still translate what leaves — but it leaves by the
      # wrong side. Inbound flows to the EIPs still pass, their replies going back the way they came.
      gw ip route replace default via "$APP2" dev "$IN_IF" ;;
    tc-shaper)
      # A rate limit outside netfilter: a tc token bucket (tbf) shaping the inside interface's egress to 2 Mbit/s with
      # a short queue, as a QoS setup would. tcpdump sees egress after the qdisc, so what it drops was forwarded and
      # never shows leaving; the pings and small requests stay under the rate, a 2 MB download does not.
      gw tc qdisc add dev "$IN_IF" root tbf rate 2mbit burst 16k limit 16k
      bg_in "$NS_RT" socat "TCP-LISTEN:$BULK_TCP,bind=$REMOTE,reuseaddr,fork" SYSTEM:'head -c 2000000 /dev/urandom'
      for _ in $(seq 50); do rt ss -Hltn "sport = :$BULK_TCP" | grep -q . && break; sleep 0.1; done ;;
    mss-clamp)
      # Healthy, with a smaller MTU outside (a tunnel's) and the usual remedy for it: mangle FORWARD clamps the MSS
      # of every forwarded SYN to the path's MTU, so the SYNs leave with another MSS option than they came with,
      # and the bulk transfers' segments fit without fragmentation needed.
      gw ip link set "$OUT_IF" mtu 1400
      rt ip link set up0 mtu 1400
      ipt -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
      bg_in "$NS_RT" socat "TCP-LISTEN:$BULK_TCP,bind=$REMOTE,reuseaddr,fork" SYSTEM:'head -c 300000 /dev/urandom'
      for _ in $(seq 50); do rt ss -Hltn "sport = :$BULK_TCP" | grep -q . && break; sleep 0.1; done ;;
    forward-unmodelled-match)
      # A FORWARD REJECT behind a match whose state lives outside the ruleset (a blocklist kept by -m recent, as
      # ipset sets are kept outside it): the remote is on the list, so what goes to it is rejected with ICMP
      # host-prohibited; everything else passes. The snapshot shows the rule, not the list.
      ipt -A FORWARD -m recent --name blocklist --rdest --rcheck -j REJECT --reject-with icmp-host-prohibited
      gw sh -c "echo +$REMOTE > /proc/net/xt_recent/blocklist" ;;
    policy-rule-port)
      # Policy routing by protocol and port: an ip rule steers UDP to the remote's service port into table 200 (a
      # resolver's tunnel, say), and the tunnel is gone: the table holds only a blackhole default. Those datagrams stop
      # silently at the routing decision; pings and TCP to the same remote, and the port forwards, pass.
      POLICY_ROUTING=1
      gw ip route add blackhole default table 200
      gw ip rule add ipproto udp dport "$UDP_PORT" lookup 200 pref 1000 ;;
    ipset-blocklist)
      # A FORWARD blocklist kept in an ipset set (an abuse list that caught a VPC host): app2's address is in it, beside
      # a test network (MCAST-TEST-NET). app2's requests stop silently, and so do its answers to the port forwards; app's pass.
      # The snapshot holds the set (ipset save): natlens names the member, not only the rule.
      gw ipset create blocklist hash:net
      gw ipset add blocklist 233.252.0.0/24
      gw ipset add blocklist "$APP2"
      ipt -A FORWARD -m set --match-set blocklist src -j DROP ;;
    ipset-snat-subnet)
      # The subnet's SNAT takes its sources from an ipset set (as Kube-OVN's node MASQUERADE takes ovn40subnets-nat),
      # and the set lost the VPC's subnet (a controller that rebuilt it before it learnt the subnets): it holds another.
      # app's floating IP still translates it; app2's traffic leaves untranslated. The snapshot lists the set (ipset list).
      gw ipset create nat-subnets hash:net
      gw ipset add nat-subnets 10.250.0.0/16
      ipt -t nat -R SHARED_SNAT 1 -m set --match-set nat-subnets src -o "$OUT_IF" -j SNAT --to-source "$EIP2" --random-fully ;;
    eip-unassigned)
      # The rules use EIP2 but the outside interface no longer holds it (a restart that re-applied the rules but not
      # the address): SNATed packets leave from EIP2 and the upstream asks by ARP who has EIP2 for the replies;
      # nobody answers. The router forgets its neighbours first, as after the address went away.
      gw ip addr del "$EIP2/$OUT_LEN" dev "$OUT_IF"
      rt ip neigh flush dev up0 ;;
    nft-share-dnat | nft-share-dnat-unreachable)
      # Kube-OVN's share DNAT in nftables (its newest gateway script, like kube-proxy's nftables mode): the TCP port
      # forward is no iptables rule but an nft table kube-ovn whose nat prerouting chain (priority -150, before
      # iptables' nat at -100) dispatches EIP . protocol . port through a verdict map to a chain per identity that
      # DNATs to its backends (numgen random). The iptables SHARED_DNAT rule for it is gone.
      # -unreachable: the backend is an address nobody holds (the pod behind it is gone).
      local backend=$APP2
      [[ $name == nft-share-dnat-unreachable ]] && backend=$GHOST_IN
      ipt -t nat -D SHARED_DNAT -d "$EIP2/32" -p tcp -m tcp --dport "$FWD_TCP" -j DNAT --to-destination "$APP2:$APP2_TCP"
      gw nft -f - <<NFT
add table ip kube-ovn
add chain ip kube-ovn prerouting { type nat hook prerouting priority -150 ; }
add map ip kube-ovn service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }
add rule ip kube-ovn prerouting ip daddr . meta l4proto . th dport vmap @service-ips
add chain ip kube-ovn dnat-5f3c0a9b21de
add rule ip kube-ovn dnat-5f3c0a9b21de meta l4proto tcp dnat ip addr . port to numgen random mod 1 map { 0 : $backend . $APP2_TCP }
add element ip kube-ovn service-ips { $EIP2 . tcp . $FWD_TCP : goto dnat-5f3c0a9b21de }
NFT
      ;;
    nft-stateless-fip | nft-stateless-fip-half)
      # The floating IP as stateless NAT in nftables (Kube-OVN's script for HA gateways): no conntrack for it
      # (notrack both ways in a raw-priority prerouting chain), the destination rewritten there and the source in
      # postrouting, every packet alike; the iptables FIP rules are gone. -half: the source rewrite was never added,
      # so what app sends, and its answers to the outside client, leave with its private address.
      ipt -t nat -F EXCLUSIVE_DNAT
      ipt -t nat -F EXCLUSIVE_SNAT
      gw nft -f - <<NFT
table ip kube_ovn_stateless_nat {
  chain prerouting {
    type filter hook prerouting priority raw; policy accept;
    ip saddr $APP notrack
    ip daddr $EIP notrack
    ip daddr $EIP ip daddr set $APP
  }
  chain postrouting {
    type filter hook postrouting priority 100; policy accept;
  }
}
NFT
      if [[ $name == nft-stateless-fip ]]; then gw nft insert rule ip kube_ovn_stateless_nat postrouting ip saddr "$APP" ip saddr set "$EIP"; fi
      ;;
    nft-native | nft-native-forward-drop | nft-native-snat-wrong-interface)
      # A gateway whose rules are all nftables' own (as firewalld or a hand-written nftables.conf makes them): the
      # same NAT as the Kube-OVN chains, written as nft rules in a table of its own, and no iptables rule at all
      # (iptables-save shows empty tables); its forward chain drops by default and lets out what the VPC side sends, in
      # what was DNATed, and the replies. -forward-drop: it also drops what app2 sends. -snat-wrong-interface:
      # the subnet's SNAT written for an outside interface named net1, as in snat-wrong-interface.
      ipt -t nat -F
      ipt -t nat -X
      gw nft -f - <<NFT
table ip natgw {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr $EIP counter dnat to $APP
    ip daddr $EIP2 tcp dport $FWD_TCP counter dnat to $APP2:$APP2_TCP
    ip daddr $EIP2 udp dport $FWD_UDP counter dnat to $APP2:$APP2_UDP
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr $APP counter snat to $EIP
    oifname "$([[ $name == nft-native-snat-wrong-interface ]] && echo net1 || echo "$OUT_IF")" ip saddr $IN_CIDR counter snat to $EIP2 fully-random
  }
}
table inet filter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    ct state invalid counter drop
    iifname "$IN_IF" oifname "$OUT_IF" counter accept
    iifname "$OUT_IF" ct status dnat counter accept
  }
}
NFT
      if [[ $name == nft-native-forward-drop ]]; then gw nft insert rule inet filter forward ip saddr "$APP2" counter drop; fi
      ;;
    hairpin-mark | hairpin-mark-lost)
      # NAT loopback as Kube-OVN's gateway script has written it since its HAIRPIN_SNAT chain: mangle PREROUTING marks
      # what comes in from the VPC side (VPC_MARK), and a SNAT per EIP in nat POSTROUTING takes what was DNATed to
      # that EIP, came in marked and leaves by the VPC side again (-m mark, -o, --ctstate DNAT --ctorigdst); the
      # default route is written onlink. app2 pings app's floating IP and asks its own port forward's EIP.
      # hairpin-mark-lost: the nat rules were restored after a restart, the mangle mark was not (an empty VPC_MARK):
      # the hairpin SNAT never matches, so the backend answers the client directly, past the gateway.
      ipt -t mangle -N VPC_MARK
      ipt -t mangle -A PREROUTING -j VPC_MARK
      [[ $name == hairpin-mark ]] && ipt -t mangle -A VPC_MARK -i "$IN_IF" -j MARK --set-xmark 0x1/0x1
      ipt -t nat -N HAIRPIN_SNAT
      ipt -t nat -A SNAT_FILTER -j HAIRPIN_SNAT
      for e in "$EIP" "$EIP2"; do
        ipt -t nat -A HAIRPIN_SNAT -m mark --mark 0x1/0x1 -o "$IN_IF" -m conntrack --ctstate DNAT --ctorigdst "$e" -j SNAT --to-source "$e" --random-fully
      done
      gw ip route replace default via "$NEXTHOP" dev "$OUT_IF" onlink
      gw sysctl -qw net.ipv4.conf.all.send_redirects=0
      gw sysctl -qw "net.ipv4.conf.${IN_IF//./\/}.send_redirects=0" ;;
    hairpin-no-snat)
      # NAT loopback without its masquerade: app2 reaches app through app's floating IP from inside; DNAT sends the
      # packet back out the inside interface with app2's own source, so app answers app2 directly, past the gateway,
      # and app2 drops an answer from an address it did not ask (the reply never comes back through the gateway).
      gw sysctl -qw net.ipv4.conf.all.send_redirects=0
      gw sysctl -qw "net.ipv4.conf.${IN_IF//./\/}.send_redirects=0" ;;
    segmentation-offload)
      # Healthy, with bulk TCP both ways and segmentation offload off on both gateway interfaces: a sender's TSO
      # over the veth hands the gateway segments of many MSS each (as GRO/LRO would on a NIC); the gateway must
      # cut them into MSS-sized pieces before they leave, so the capture shows one large segment arriving and
      # several smaller ones leaving for it.
      gw ethtool -K "$IN_IF" tso off gso off
      gw ethtool -K "$OUT_IF" tso off gso off
      bg_in "$NS_RT" socat "TCP-LISTEN:$BULK_TCP,bind=$REMOTE,reuseaddr,fork" SYSTEM:'head -c 2000000 /dev/urandom'
      bg_in "$NS_APP2" socat -u "TCP-LISTEN:$BULK_FWD_TCP,reuseaddr,fork" OPEN:/dev/null
      ipt -t nat -A SHARED_DNAT -d "$EIP2/32" -p tcp -m tcp --dport "$BULK_FWD_TCP" -j DNAT --to-destination "$APP2:$BULK_FWD_TCP"
      for _ in $(seq 50); do
        if rt ss -Hltn "sport = :$BULK_TCP" | grep -q . && app2 ss -Hltn "sport = :$BULK_FWD_TCP" | grep -q .; then break; fi
        sleep 0.1
      done ;;
    refragment | mtu-exceeded-inbound)
      # refragment: healthy, with the VPC side's MTU lower than the outside's (an overlay: Kube-OVN's Geneve pods get 100
      # bytes less than the node): datagrams without DF that are larger than it arrive outside whole or in
      # 1500-byte fragments and leave the inside in smaller ones; the inside's own fragments pass as they are.
      # mtu-exceeded-inbound: the same MTUs, and the outside client's large pings to the floating IP carry DF: the
      # gateway cannot forward them into the VPC and answers fragmentation needed (mtu 1280) back out the outside.
      local l
      for l in "$IN_IF"; do gw ip link set "$l" mtu 1280; done
      for l in to-gw to-app to-app2 br0; do ip -n "$NS_SW" link set "$l" mtu 1280; done
      app ip link set eth0 mtu 1280
      app2 ip link set eth0 mtu 1280 ;;
    backend-refuses)
      # The port forward's backend refuses: app2's UDP server is gone (the kernel answers port unreachable) and
      # a REJECT on app2 itself answers its TCP port the same way. The gateway DNATs the requests and relays the
      # errors back, their outer source translated back to the EIP.
      local pid
      for pid in $(ip netns pids "$NS_APP2"); do
        if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "UDP-RECVFROM:$APP2_UDP"; then kill "$pid"; fi
      done
      app2 iptables-legacy -A INPUT -p tcp --dport "$APP2_TCP" -j REJECT --reject-with icmp-port-unreachable ;;
    traceroute)
      # Healthy, and the app traces routes through the gateway: the router forwards FAR_NET on (out a veth
      # whose far end answers nothing), so probes whose TTL runs out there get ICMP time exceeded from it; a UDP
      # probe that reaches the remote gets port unreachable; one with TTL 1 expires at the gateway itself.
      rt sysctl -qw net.ipv4.ip_forward=1
      ip -n "$NS_RT" link add far0 type veth peer name far1
      ip -n "$NS_RT" link set far0 up
      ip -n "$NS_RT" link set far1 up
      ip -n "$NS_RT" route add "$FAR_NET" dev far0 ;;
    eip-conflict)
      # An address conflict: the upstream router holds EIP2 itself (configured on its own interface, as a stale
      # host or a second gateway would), so what comes back for EIP2 stays there; it announces the address with
      # a gratuitous ARP during the capture (garp below). The gateway's EIP2 traffic leaves and gets no reply.
      rt ip addr add "$EIP2/32" dev up0
      # The gateway knows its next hop already (as in steady state, before the conflict): left to ARP for it with
      # EIP2 as the sender, it would get no answer from a router that holds EIP2 itself, and stop there instead.
      local rmac
      rmac=$(rt cat /sys/class/net/up0/address)
      gw ip neigh replace "$NEXTHOP" lladdr "$rmac" dev "$OUT_IF" nud permanent ;;
    eip-conflict-arp)
      # The other face of the conflict: the router holds EIP2 and the gateway does not know its next hop yet. It
      # asks for it from EIP2 (the source its SNATed packets leave with), and the router does not answer a sender
      # it takes for its own address: app2's packets never leave. Only app2 sends through the next hop here; the
      # outside client's pings are answered through a neighbour entry of their own.
      rt ip addr add "$EIP2/32" dev up0 ;;
    conntrack-full)
      # The conntrack table is full: eight long-lived TCP connections from app2 to the remote (established, so
      # assured: early drop may not evict them) hold every entry the limit allows, and each new connection's
      # first packet is dropped where conntrack would make its entry, before the nat table sees it ("nf_conntrack:
      # table full, dropping packet"). The eight go on ticking through the capture on their entries; nothing new
      # passes. nf_conntrack_max is global and writable only from the initial namespace: lowered to the
      # gateway's count here, restored by teardown.
      remote_sink
      local k
      for k in $(seq 8); do
        ticker "$NS_APP2" "hold-$k" 60 0.4 "TCP:$REMOTE:$BULK_TCP"
      done
      # Wait until all eight are ASSURED (handshake done): an entry still in SYN_SENT/SYN_RECV is one the kernel's
      # early drop may evict to make room for a new connection once the table is full, and its connection would
      # then stop mid-capture on a loaded machine.
      for _ in $(seq 100); do
        [[ $(gw conntrack -L -p tcp --dport "$BULK_TCP" 2>/dev/null | grep -c ASSURED) -ge 8 ]] && break
        sleep 0.1
      done
      CT_MAX_SAVED=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
      gw conntrack -C >/proc/sys/net/netfilter/nf_conntrack_max
      log "nf_conntrack_max lowered from $CT_MAX_SAVED to $(cat /proc/sys/net/netfilter/nf_conntrack_max)" ;;
    upstream-reject)
      # The remote refuses the requests itself with ICMP host unreachable, which the gateway relays back to the
      # senders; the remote rate-limits its errors, so some requests get no answer at all.
      rt iptables-legacy -A INPUT -d "$REMOTE/32" -j REJECT --reject-with icmp-host-unreachable ;;
    two-faults)
      # Two faults at once, as real incidents have them: no SNAT rule at all (snat-missing's), and a FORWARD rule that
      # drops everything from app2 (forward-chain-drop's). Each explains flows the other does not: both must be named.
      ipt -A FORWARD -s "$APP2/32" -j DROP ;;
    port-forward-wrong-port)
      # The TCP port forward written for the wrong inside port (one more than the service's): app2 answers the
      # DNATed SYNs with a reset, which the gateway relays back. Nothing stops at the gateway: a warning, not an error.
      ipt -t nat -R SHARED_DNAT 1 -d "$EIP2/32" -p tcp -m tcp --dport "$FWD_TCP" -j DNAT --to-destination "$APP2:$((APP2_TCP + 1))" ;;
    raw-blocklist)
      # A blocklist in the raw table, before conntrack and NAT see anything: app2's address is on it (a DDoS or
      # abuse list that caught a VPC host). Its requests stop silently; so do its answers to the port forwards.
      ipt -t raw -A PREROUTING -s "$APP2/32" -j DROP ;;
    backend-stale-mac)
      # The gateway's neighbour entry for the port forwards' backend (app2) is a static one with a MAC app2 no longer
      # has (a pod that came back with a new interface, an entry written by hand): what the gateway sends app2 — the
      # DNATed requests, the replies to app2's own traffic — leaves addressed to that MAC and never reaches it.
      gw ip neigh replace "$APP2" lladdr 02:00:5e:00:53:77 nud permanent dev "$IN_IF" ;;
    null-route)
      # A null route for the remote (a DDoS mitigation or a routing daemon that left it): every request to it stops
      # silently at the routing decision, whatever the default route says; traffic to the EIPs passes.
      gw ip route add blackhole "$REMOTE/32" ;;
    rules-lost)
      # The gateway restarted and its init ran (the chains are there, PREROUTING and POSTROUTING jump to them) but
      # the controller has not re-added a single rule yet: no floating IP, no port forward, no SNAT.
      local c
      for c in EXCLUSIVE_DNAT SHARED_DNAT EXCLUSIVE_SNAT SHARED_SNAT; do ipt -t nat -F "$c"; done ;;
    port-forward-missing)
      # The port forwards' DNAT rules are gone (a controller that deleted them, or never added them after a restart),
      # the EIP still on the outside interface: the client's requests are the gateway's own now; nothing listens on
      # those ports, so the gateway itself answers TCP with a reset and UDP with ICMP port unreachable.
      ipt -t nat -F SHARED_DNAT ;;
    backend-silent)
      # upstream-no-reply's VPC-side face: the port forwards' backend (app2) drops what comes from outside in its own
      # firewall (a security group, a NetworkPolicy): the DNATed requests reach it, it answers ARP, nothing comes back.
      app2 iptables-legacy -A INPUT -s "$CLIENT/32" -j DROP ;;
    upstream-no-reply)
      # The remote drops the requests itself; nothing on the gateway is wrong.
      rt iptables-legacy -A INPUT -d "$REMOTE/32" -j DROP ;;
    point-to-point)
      # Over a point-to-point uplink (no ARP by nature), the remote drops what comes to its UDP service: those
      # requests get no reply, which is the remote's doing, not ARP's (the link has the NOARP flag and needs none).
      rt iptables-legacy -A INPUT -d "$REMOTE/32" -p udp -j DROP ;;
    conntrack-flushed)
      # The conntrack table is flushed mid-capture (a gateway restart or failover, `conntrack -F`), and FORWARD drops
      # what conntrack calls INVALID, as hardened gateways do. With nf_conntrack_tcp_loose=0 conntrack does not pick
      # up a TCP connection in mid-stream: the established connections' next segments, both ways, are INVALID and
      # dropped, while new connections pass. Two long-lived connections tick across the flush: app's to the remote
      # (SNAT) and the outside client's to app2 through a port forward (DNAT).
      ipt -A FORWARD -m conntrack --ctstate INVALID -j DROP
      gw sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
      bg_in "$NS_RT" socat "TCP-LISTEN:$BULK_TCP,bind=$REMOTE,reuseaddr,fork" SYSTEM:'cat >/dev/null'
      bg_in "$NS_APP2" socat "TCP-LISTEN:$BULK_FWD_TCP,reuseaddr,fork" SYSTEM:'cat >/dev/null'
      ipt -t nat -A SHARED_DNAT -d "$EIP2/32" -p tcp -m tcp --dport "$BULK_FWD_TCP" -j DNAT --to-destination "$APP2:$BULK_FWD_TCP"
      for _ in $(seq 50); do
        if rt ss -Hltn "sport = :$BULK_TCP" | grep -q . && app2 ss -Hltn "sport = :$BULK_FWD_TCP" | grep -q .; then break; fi
        sleep 0.1
      done
      ticker "$NS_APP" tick 40 0.3 "TCP:$REMOTE:$BULK_TCP"
      ticker "$NS_RT" tock 40 0.3 "TCP:$EIP2:$BULK_FWD_TCP,bind=$CLIENT"
      sleep 0.5 ;;
    conntrack-flushed-loose)
      # The conntrack table is flushed under live connections on a gateway that takes connections up in mid-stream
      # (nf_conntrack_tcp_loose=1, the kernel's default) and has no INVALID rule: the next segment of each starts a
      # new entry, and the nat table sees it as a new connection. app's, SNATed by its floating IP's rule, keeps its
      # port and goes on; app2's, SNATed by the subnet's rule with --random-fully, leaves from another port, which the
      # remote knows nothing of: it answers with a reset, and app2's connection is gone.
      gw sysctl -qw net.netfilter.nf_conntrack_tcp_loose=1
      remote_sink
      ticker "$NS_APP" tick 40 0.3 "TCP:$REMOTE:$BULK_TCP"
      ticker "$NS_APP2" tock 40 0.3 "TCP:$REMOTE:$BULK_TCP"
      sleep 0.5 ;;
    conntrack-flushed-leak)
      # The conntrack table is flushed under live connections with nf_conntrack_tcp_loose=0 and no INVALID rule: the
      # established connections' next segments are INVALID, never NATed, and FORWARD lets them through — app's
      # leave the outside interface from its private address, which the remote cannot answer.
      gw sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
      remote_sink
      ticker "$NS_APP" tick 40 0.3 "TCP:$REMOTE:$BULK_TCP"
      sleep 0.5 ;;
    snat-ports-exhausted)
      # The subnet's SNAT may use two ports only, and app2 holds both with long-lived connections to the remote's
      # bulk port: a third connection to the same remote port has no free tuple left.
      ipt -t nat -I SHARED_SNAT 1 -s "$IN_CIDR" -o "$OUT_IF" -p tcp -j SNAT --to-source "$EIP2:40000-40001"
      remote_sink
      local k
      for k in 1 2; do
        ticker "$NS_APP2" "hold-$k" 40 0.4 "TCP:$REMOTE:$BULK_TCP"
      done
      sleep 0.5 ;;
    backend-route-elsewhere)
      # app2, the port forward's backend, routes back through another router (GHOST_IN, which nobody holds): its
      # answers to the outside client never come back through the gateway.
      app2 ip route replace default via "$GHOST_IN" dev eth0 ;;
    nexthop-stale-mac)
      # The gateway's neighbour entry for its next hop is a permanent one left from the router it replaced: the
      # MAC is no longer there. What the gateway routes through the next hop leaves addressed to that MAC and the
      # router ignores it (not its address); on-link hosts, resolved by ARP as usual, are reached.
      gw ip neigh replace "$NEXTHOP" lladdr 02:00:5e:00:53:99 nud permanent dev "$OUT_IF" ;;
    pmtu-blackhole)
      # A path MTU black hole: FORWARD (policy DROP) lets the inside out, port forwards in, and ESTABLISHED back —
      # not RELATED. A host beyond the router (FAR, in a namespace of its own) sits behind a 1280-byte link: the
      # router answers large DF packets for it with ICMP fragmentation needed, which the gateway, as RELATED, drops.
      # The app never learns the path's MTU; small packets pass.
      local ns_far="${NS_GW%-gw}-far"
      ip netns add "$ns_far"
      NAMESPACES+=("$ns_far")
      ip -n "$ns_far" link set lo up
      ip link add name far0 netns "$NS_RT" mtu 1280 type veth peer name eth0 netns "$ns_far" mtu 1280
      rt sysctl -qw net.ipv4.ip_forward=1
      rt ip addr add "${FAR%.*}.1/24" dev far0
      rt ip link set far0 up
      ip -n "$ns_far" addr add "$FAR/24" dev eth0
      ip -n "$ns_far" link set eth0 up
      ip -n "$ns_far" route add default via "${FAR%.*}.1"
      ipt -P FORWARD DROP
      ipt -A FORWARD -i "$IN_IF" -o "$OUT_IF" -j ACCEPT
      ipt -A FORWARD -m conntrack --ctstate DNAT -j ACCEPT
      ipt -A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT ;;
    eip-stale-arp-upstream)
      # The router's ARP entry for EIP holds a MAC the gateway no longer has (its interface got a new one: a restarted
      # NAT gateway pod's macvlan), kept as a permanent entry for the test's length, as a router with a long ARP timeout
      # would: what it sends to EIP arrives addressed to the old MAC, and the gateway's kernel drops it.
      rt ip neigh replace "$EIP" lladdr 02:00:5e:00:53:aa dev up0 nud permanent ;;
    eip-on-inside)
      # EIP2 is held by the inside interface instead of the outside one (an address applied to the wrong device), and the
      # gateway answers ARP only for addresses of the interface asked on (arp_ignore=1): the router's who-has for EIP2 on
      # the outside goes unanswered, so what comes back for EIP2 never arrives; EIP, on the outside, is answered. The
      # gateway knows its next hop already (as in steady state): left to ARP for it from EIP2, it would teach the router
      # EIP2's MAC itself, which is what makes this fault come and go on a real gateway.
      gw ip addr del "$EIP2/$OUT_LEN" dev "$OUT_IF"
      gw ip addr add "$EIP2/32" dev "$IN_IF"
      gw sysctl -qw net.ipv4.conf.all.arp_ignore=1
      gw sysctl -qw "net.ipv4.conf.${OUT_IF//./\/}.arp_ignore=1"
      local rmac
      rmac=$(rt cat /sys/class/net/up0/address)
      gw ip neigh replace "$NEXTHOP" lladdr "$rmac" dev "$OUT_IF" nud permanent
      rt ip neigh flush dev up0 ;;
    snapshot-backend-mismatch)
      # Another component on the node uses the nft backend, so an nft nat table exists (empty); Kube-OVN's own
      # rules live in legacy. iptables-nft then shows empty nat chains and only warns about legacy tables.
      gw iptables-nft -t nat -N NATLENS_PROBE
      gw iptables-nft -t nat -X NATLENS_PROBE
      backend=iptables-nft ;;
    outside-no-carrier)
      # The outside link lost its carrier (the cable, the switch port, the macvlan's parent NIC): the router's end
      # goes down, the gateway's outside interface stays up without a carrier (NO-CARRIER, LOWER_UP gone). Its
      # routes stay; what is sent there is dropped before any capture sees it.
      rt ip link set up0 down ;;
    inside-no-carrier)
      # The inside link without carrier (the switch's port to the gateway down: an OVN port, a veth peer): what
      # comes in for the floating IP and the port forwards is DNATed and dropped there.
      in_ns "$NS_SW" ip link set to-gw down ;;
    outside-link-down)
      # The outside interface set down (ip link set … down, by hand or by a tool): its addresses stay, its routes go.
      gw ip link set "$OUT_IF" down ;;
    snapshot-backend-mismatch-nft)
      # The other way round: the rules live in nf_tables, and the snapshot is taken with iptables-legacy (a
      # host whose `iptables` is the legacy one). Listing a legacy table makes it exist, empty.
      gw iptables-legacy -t nat -L -n >/dev/null
      gw iptables-legacy -t filter -L -n >/dev/null
      backend=iptables-legacy ;;
  esac

  log "scenario $name: plan=$plan format=$fmt inside=$IN_IF outside=$OUT_IF ns=nl$$s$idx"
  capture_start "$dir" "$fmt"
  case "$name" in
    stale-conntrack) stale_conntrack_traffic ;;
    mtu-exceeded)
      standard_traffic
      spawn ping_from "$NS_APP" -c 3 -i 0.3 -M "do" -s 1400 "$REMOTE2"
      spawn ping_from "$NS_APP2" -c 3 -i 0.3 -s 1000 "$REMOTE2"
      join ;;
    healthy-lan)
      chatter
      standard_traffic ;;
    vpc-route-missing)
      standard_traffic
      spawn ping_from "$NS_APP2" -c 5 -i 0.2 -I "$BEHIND" "$REMOTE"
      join ;;
    third-interface)
      spawn ping_from "$NS_RT" -c 5 -i 0.2 -I 10.250.0.2 10.250.0.1
      spawn bash -c "echo admin | timeout 3 ip netns exec '$NS_RT' socat -t 1 -T 1 - 'UDP:10.250.0.1:161,bind=10.250.0.2' >/dev/null 2>&1 || true"
      standard_traffic ;;
    mss-clamp | tc-shaper)
      standard_traffic
      spawn bash -c "timeout 10 ip netns exec '$NS_APP' socat -u 'TCP:$REMOTE:$BULK_TCP' /dev/null || true"
      join ;;
    hairpin | hairpin-no-snat)
      standard_traffic
      spawn ping_from "$NS_APP2" -c 5 -i 0.2 "$EIP"
      join ;;
    hairpin-mark | hairpin-mark-lost)
      standard_traffic
      spawn ping_from "$NS_APP2" -c 5 -i 0.2 "$EIP"
      spawn tcp_req "$NS_APP2" "$EIP2" "$FWD_TCP" "hairpin-1"
      spawn tcp_req "$NS_APP" "$EIP2" "$FWD_TCP" "hairpin-2"
      join ;;
    rp-filter-drop)
      standard_traffic
      spawn ping_from "$NS_RT" -c 5 -i 0.2 -I "$SPOOF" "$EIP"
      spawn tcp_req "$NS_RT" "$EIP2" "$FWD_TCP" "spoof-1" "$SPOOF"
      join ;;
    segmentation-offload)
      standard_traffic
      # A download through the SNAT and an upload through the port forward, 2 MB each.
      spawn bash -c "timeout 10 ip netns exec '$NS_APP' socat -u 'TCP:$REMOTE:$BULK_TCP' /dev/null || true"
      spawn bash -c "head -c 2000000 /dev/urandom | timeout 10 ip netns exec '$NS_RT' socat -u - 'TCP:$EIP2:$BULK_FWD_TCP,bind=$CLIENT' || true"
      join ;;
    eip-conflict)
      garp "$NS_RT" up0 "$EIP2"
      standard_traffic ;;
    eip-conflict-arp)
      garp "$NS_RT" up0 "$EIP2"
      spawn ping_from "$NS_APP2" -c 5 -i 0.2 "$REMOTE"
      spawn ping_from "$NS_RT" -c 5 -i 0.2 -I "$CLIENT" "$EIP"
      join ;;
    traceroute)
      standard_traffic
      # As traceroute does: UDP probes to 33434 and up, one port per probe, the TTL growing; and ICMP probes.
      local ttl
      for ttl in 1 2; do
        spawn bash -c "echo probe | timeout 3 ip netns exec '$NS_APP' socat -t 0.5 -T 1 - 'UDP:$FAR:$((33433 + ttl)),ttl=$ttl' >/dev/null 2>&1 || true"
      done
      spawn bash -c "echo probe | timeout 3 ip netns exec '$NS_APP' socat -t 0.5 -T 1 - 'UDP:$REMOTE:33440,ttl=3' >/dev/null 2>&1 || true"
      spawn ping_from "$NS_APP2" -c 2 -i 0.2 -t 2 "$FAR"
      join ;;
    refragment)
      standard_traffic
      # Large pings without DF both ways, and large UDP requests whose answers come back as large.
      spawn ping_from "$NS_APP" -c 3 -i 0.2 -M dont -s 3000 "$REMOTE"
      spawn ping_from "$NS_RT" -c 3 -i 0.2 -M dont -s 3000 -I "$CLIENT" "$EIP"
      spawn bash -c "head -c 2500 /dev/zero | tr '\\0' x | timeout 3 ip netns exec '$NS_APP' socat -t 1 -T 1 - 'UDP:$REMOTE:$UDP_PORT' >/dev/null || true"
      spawn bash -c "head -c 2500 /dev/zero | tr '\\0' y | timeout 3 ip netns exec '$NS_RT' socat -t 1 -T 1 - 'UDP:$EIP2:$FWD_UDP,bind=$CLIENT' >/dev/null || true"
      join ;;
    conntrack-flushed | conntrack-flushed-loose | conntrack-flushed-leak)
      standard_traffic
      gw conntrack -F 2>/dev/null
      log "conntrack table flushed"
      standard_traffic
      sleep 1 ;;
    snat-ports-exhausted)
      standard_traffic
      spawn bash -c "echo more | timeout 4 ip netns exec '$NS_APP2' socat -T 2 - 'TCP:$REMOTE:$BULK_TCP,connect-timeout=3' || true"
      join ;;
    pmtu-blackhole)
      standard_traffic
      spawn ping_from "$NS_APP" -c 3 -i 0.3 -s 56 "$FAR"
      spawn ping_from "$NS_APP2" -c 3 -i 0.3 -M "do" -s 1400 "$FAR"
      join ;;
    mtu-exceeded-inbound)
      standard_traffic
      spawn ping_from "$NS_RT" -c 3 -i 0.3 -M "do" -s 1400 -I "$CLIENT" "$EIP"
      join ;;
    *) standard_traffic ;;
  esac
  capture_stop "$dir"
  snapshot "$dir" "$backend"
  if [[ $name == ip-forward-disabled ]] && command -v systemd-analyze >/dev/null; then
    # The seed incident: a reboot reset ip_forward. The gateway's namespace takes its sysctls from its node — this
    # host — when it is made, so the node's boot configuration is the one that says what a reboot brings back.
    systemd-analyze cat-config sysctl.d >"$dir/sysctl-boot.txt" 2>/dev/null || rm -f "$dir/sysctl-boot.txt"
  fi
  write_lab_json "$dir" "$name" "$check" "$fmt" "$backend"
  teardown
  log "scenario $name done: $(cd "$dir" && echo *)"
}

# Long-lived flows are translated by the floating-IP rules; mid-flow the rules are repointed to app2 without
# `conntrack -D`. The established conntrack entries keep the old mapping (the nat table only sees a
# connection's first packet), so the capture shows translations the snapshot's rules no longer produce.
stale_conntrack_traffic() {
  spawn ping_from "$NS_RT" -c 25 -i 0.2 -I "$CLIENT" "$EIP"
  spawn ping_from "$NS_APP" -c 25 -i 0.2 "$REMOTE"
  spawn bash -c "for i in \$(seq 20); do echo tick-\$i; sleep 0.25; done |
    timeout 10 ip netns exec '$NS_APP' socat -T 3 - 'UDP:$REMOTE:$UDP_PORT,sourceport=40123' >/dev/null || true"
  sleep 1.5
  ipt -t nat -R EXCLUSIVE_DNAT 1 -d "$EIP/32" -j DNAT --to-destination "$APP2"
  ipt -t nat -R EXCLUSIVE_SNAT 1 -s "$APP2/32" -j SNAT --to-source "$EIP"
  log "floating IP $EIP repointed from $APP to $APP2 (conntrack not flushed)"
  sleep 0.5
  # A flow that starts after the change: translated by the new rules, a control for the analysis.
  spawn ping_from "$NS_APP2" -c 5 -i 0.2 "$REMOTE"
  join
}

# ---------------------------------------------------------------------------------------------- main
main() {
  if [[ ${1:-} == --list ]]; then printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0; fi
  [[ $# -ge 1 ]] || { echo "usage: $0 OUTDIR [SCENARIO...] | --list" >&2; exit 2; }
  [[ $(id -u) == 0 ]] || die "must run as root (network namespaces, iptables, tcpdump)"
  local tool
  for tool in ip ipset tcpdump dumpcap socat conntrack ethtool nft ufw firewalld firewall-cmd dbus-daemon iptables-legacy iptables-legacy-save iptables-nft iptables-nft-save ping timeout ss sysctl; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
  done
  local out=$1
  shift
  local scenarios=("$@")
  [[ ${#scenarios[@]} -gt 0 ]] || scenarios=("${ALL_SCENARIOS[@]}")
  local s
  for s in "${scenarios[@]}"; do scenario_spec "$s" >/dev/null || die "unknown scenario $s (try --list)"; done
  # One lab at a time on a machine: the namespaces are per run, but some of what scenarios change is the
  # machine's own (nf_conntrack_max, lowered by conntrack-full, holds every namespace's table; the CPU the
  # timing-sensitive faults count on). A second run waits for the first; a lock whose run is gone is taken over.
  take_lab_lock
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  local idx=0
  for s in "${scenarios[@]}"; do
    idx=$((idx + 1))
    CURRENT_LOG=$out/$s.log
    # A plain command (not part of || or &&), so errexit stays in force inside run_scenario.
    printf '%s ' "$s" >&2
    run_scenario "$out" "$s" "$idx" >"$CURRENT_LOG" 2>&1
    CURRENT_LOG=
  done
  echo >&2
  log "all done: $out"
}

main "$@"
