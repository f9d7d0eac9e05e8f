#!/bin/sh
# qnet doctor --json on every host of an inventory as one ad-hoc ansible command, then a
# table on this machine: host, qnet's exit code, failing and warning check IDs.
#
#   ./qnet-adhoc.sh -i inventory.ini -b          # -b: run qnet as root on the hosts
#   QNET='node /opt/qnet/bin/qnet.js' ./qnet-adhoc.sh -i inventory.ini -b
#   QNET_ARGS='--skip vhost-net' ./qnet-adhoc.sh -i inventory.ini -b
#
# The arguments go to `ansible all`. Each host's raw result (with qnet's JSON in "stdout")
# is kept in a new qnet-results.XXXXXX directory here. Exits with ansible's code: 0 when
# nothing fails anywhere; 2 when a host has a failing check or qnet could not run there;
# 4 when a host was unreachable. Needs jq on this machine.
set -u
command -v jq >/dev/null || { echo "qnet-adhoc: jq is needed on this machine" >&2; exit 2; }
out=$(mktemp -d qnet-results.XXXXXX) || exit 2

# The command module counts a host whose command exits non-zero as failed: a host with a
# failing check (qnet exits 1) sets ansible's exit code. -t keeps each host's result; the
# table below says which checks.
ansible all "$@" -m ansible.builtin.command -a "${QNET:-qnet} doctor --json ${QNET_ARGS:-}" -t "$out" -o >/dev/null
rc=$?

printf 'HOST\tEXIT\tFAILING\tWARNING\n'
for f in "$out"/*; do
  [ -e "$f" ] || continue
  jq -r --arg host "${f##*/}" '
    (.stdout | fromjson? // null) as $doc
    | if $doc then
        [$host, .rc,
         ([$doc.results[] | select(.status == "fail" or .status == "error") | .id] | join(",") | if . == "" then "-" else . end),
         ([$doc.results[] | select(.status == "warn") | .id] | join(",") | if . == "" then "-" else . end)]
      elif .unreachable then
        [$host, "-", "unreachable: " + ((.msg // "") | split("\n")[0]), "-"]
      else
        [$host, (.rc // "-"), "qnet did not run: " + (if (.stderr // "") != "" then .stderr else (.msg // "") end | split("\n")[0]), "-"]
      end
    | @tsv' "$f"
done
echo "results of each host: $out" >&2
exit $rc
