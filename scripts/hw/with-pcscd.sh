#!/usr/bin/env bash
# Runs a command against a real, private PC/SC stack (card.md "Running the real stack";
# hardware.md section 8):
#
#   bash scripts/hw/with-pcscd.sh CMD [ARGS...]        e.g.  MEDPOS_HW=required bash scripts/hw/with-pcscd.sh npm test
#
# 1. Creates a network namespace with a unique name, brings up its loopback and adds the quickack
#    route (vpcd 0.8 writes length and payload separately: without it every APDU waits ~40 ms for a
#    delayed ACK). vpcd listens on 0.0.0.0, so it must only ever listen inside that namespace.
# 2. Starts pcscd --foreground in it, with a private /run and a reader.conf.d holding only the vpcd
#    reader (slots "Virtual PCD 00 00" on 127.0.0.1:35963 and "... 00 01" on :35964), through
#    scripts/hw/pcscd-ctl.sh, which tests also use to kill, restart or add pcscd instances.
# 3. Runs CMD inside the namespace (so a virtual card reaches vpcd at 127.0.0.1, and nothing else on
#    the network is reachable) with:
#      PCSCLITE_CSOCK_NAME   the pcscd socket (libpcsclite clients: medpos, opensc-tool, pcsc_scan)
#      MEDPOS_HW_VPCD        127.0.0.1:35963, where a virtual card connects (slot 1 = port + 1)
#      MEDPOS_HW_NETNS       the namespace's name
#      MEDPOS_HW_DIR         the run's state directory (pcscd logs, sockets)
#      MEDPOS_HW_PCSCD_CTL   the absolute path of pcscd-ctl.sh
#      MEDPOS_HW_PCSCD_PID   the pid of the main pcscd
#      MEDPOS_VPCD_LIB       the vpcd driver library
# 4. On exit, failure or signal: stops every pcscd it (or a test) started, by recorded pid, deletes the
#    namespace and the state directory (KEEP_LOGS=1 keeps the directory). The exit status is CMD's.
#
# When pcscd, the vpcd driver, ip/nsenter/unshare or root are missing, it says so on stderr and runs
# CMD unchanged: hardware tests then skip, or fail when MEDPOS_HW=required.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CTL="$HERE/pcscd-ctl.sh"
[ $# -ge 1 ] || { echo "usage: with-pcscd.sh CMD [ARGS...]" >&2; exit 2; }

find_vpcd_lib() {
  local f lib
  for f in /etc/reader.conf.d/vpcd /etc/reader.conf.d/*vpcd*; do
    [ -r "$f" ] || continue
    lib=$(awk '$1 == "LIBPATH" { print $2; exit }' "$f")
    [ -n "$lib" ] && [ -e "$lib" ] && { echo "$lib"; return; }
  done
  for lib in /usr/lib/pcsc/drivers/serial/libifdvpcd.so /usr/lib64/pcsc/drivers/serial/libifdvpcd.so \
             /usr/local/lib/pcsc/drivers/serial/libifdvpcd.so /usr/lib/*/pcsc/drivers/serial/libifdvpcd.so; do
    [ -e "$lib" ] && { echo "$lib"; return; }
  done
}

missing=()
command -v pcscd > /dev/null 2>&1 || missing+=("pcscd")
VPCD_LIB=${MEDPOS_VPCD_LIB:-$(find_vpcd_lib)}
[ -n "$VPCD_LIB" ] || missing+=("vsmartcard-vpcd")
for tool in ip nsenter unshare ss; do command -v "$tool" > /dev/null 2>&1 || missing+=("$tool"); done
[ "$(id -u)" = 0 ] || missing+=("root")
if [ ${#missing[@]} -gt 0 ]; then
  echo "with-pcscd: no PC/SC harness (missing: ${missing[*]}); running the command without it" >&2
  exec "$@"
fi

HW=$(mktemp -d /tmp/medpos-hw.XXXXXX) || exit 1
NS="medpos-hw-$$-${HW##*.}"
CHILD=
export MEDPOS_HW_DIR="$HW" MEDPOS_HW_NETNS="$NS" MEDPOS_VPCD_LIB="$VPCD_LIB" MEDPOS_HW_PCSCD_CTL="$CTL"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
    kill -TERM "$CHILD" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$CHILD" 2>/dev/null
    wait "$CHILD" 2>/dev/null
  fi
  bash "$CTL" stop-all
  ip netns delete "$NS" 2>/dev/null
  if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "with-pcscd: logs kept in $HW" >&2; else rm -rf "$HW"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! ip netns add "$NS"; then
  rm -rf "$HW"
  trap - EXIT
  if [ "${MEDPOS_HW:-}" = required ]; then echo "with-pcscd: cannot create network namespace $NS" >&2; exit 1; fi
  echo "with-pcscd: cannot create a network namespace here; running the command without the PC/SC harness" >&2
  unset MEDPOS_HW_DIR MEDPOS_HW_NETNS MEDPOS_VPCD_LIB MEDPOS_HW_PCSCD_CTL
  exec "$@"
fi
ip -n "$NS" link set lo up || exit 1
ip -n "$NS" route replace local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 table local quickack 1 ||
  echo "with-pcscd: no quickack route (APDUs will be slow, ~40 ms each)" >&2

settings=$(bash "$CTL" start main --port 35963) || { echo "with-pcscd: pcscd did not start" >&2; exit 1; }
while IFS='=' read -r key value; do
  case "$key" in PCSCLITE_CSOCK_NAME | MEDPOS_HW_VPCD | MEDPOS_HW_PCSCD_PID) export "$key=$value" ;; esac
done <<< "$settings"

# In the background with stdin kept, so a signal to this script reaches the trap at once.
nsenter --net="/run/netns/$NS" -- "$@" <&0 &
CHILD=$!
wait "$CHILD"
rc=$?
CHILD=
if [ "$rc" -ne 0 ]; then
  echo "with-pcscd: '$*' exited $rc; last pcscd log lines:" >&2
  tail -n 20 "$HW"/pcscd-*/pcscd.log >&2 2>/dev/null
fi
exit "$rc"
