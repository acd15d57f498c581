# Shared by start-cluster.sh and stop-cluster.sh; sourced, not run.

# die MESSAGE...: prints "SCRIPT: MESSAGE" on stderr and exits 1.
die() {
  echo "$(basename "$0" .sh): $*" >&2
  exit 1
}

# take_option VAR "$@": reads "--opt value" or "--opt=value" from the front of the arguments
# into VAR and sets TAKEN to the number of arguments used, for the caller to shift.
take_option() {
  local var="$1" opt="$2"
  if [[ "$opt" == *=* ]]; then
    printf -v "$var" '%s' "${opt#*=}"
    TAKEN=1
  else
    [[ $# -ge 3 ]] || die "$opt needs a value"
    printf -v "$var" '%s' "$3"
    TAKEN=2
  fi
}

# pid_is_node PID DATA NODE: PID is alive and is the kvserver started with --data-dir DATA/NODE,
# not some other process that reuses an old pid.
pid_is_node() {
  local pid="$1" data="$2" node="$3"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--data-dir $data/$node "
}
