#!/usr/bin/env bash
# Lists the dependencies and Maven plugins pinned in the parent pom.xml that have newer releases
# on Maven Central (versions-maven-plugin, pinned in pluginManagement). Pre-releases are ignored.
# Every version is pinned in the parent pom.xml (modules name none), so the parent is all it reads.
#
#   scripts/check-dependencies.sh            # print the findings, exit 0
#   scripts/check-dependencies.sh --strict   # exit 1 if anything has a newer release
set -euo pipefail
cd "$(dirname "$0")/.."

strict=false
case "${1:-}" in
  "") ;;
  --strict) strict=true ;;
  -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
  *) echo "check-dependencies.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

# Alphas, betas, release candidates, milestones, previews and early-access builds.
ignore='(?i).*[.-](alpha|beta|rc|cr|m|milestone|preview|ea|snapshot)[.-]?[0-9]*([.-].*)?'

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! mvn -B -N versions:display-dependency-updates versions:display-plugin-updates \
    -DprocessDependencyManagementTransitive=false -Dmaven.version.ignore="$ignore" >"$log" 2>&1; then
  cat "$log" >&2
  echo "check-dependencies.sh: mvn failed (output above)" >&2
  exit 1
fi
maven_version=$(mvn -B -v 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | sed -n 's/^Apache Maven \([0-9.]*\).*/\1/p' | head -1)

# True if version $2 sorts after version $1.
newer() { [[ "$1" != "$2" && "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" == "$2" ]]; }

found=0

echo "Dependencies with newer releases:"
deps=$(sed -n '/display-dependency-updates/,/display-plugin-updates/p' "$log" \
  | sed -n 's/^\[INFO\] \{1,\}\([^ ].* -> .*\)$/\1/p')
if [[ -n "$deps" ]]; then
  echo "$deps" | sed 's/^/  /'
  found=1
else
  echo "  none"
fi

# The plugin report lists updates per Maven version they require, oldest first; for each plugin
# keep the newest release that runs on this Maven, and name separately those that need a newer one.
declare -A current best later
while read -r required name from to; do
  current[$name]=$from
  if ! newer "$maven_version" "$required"; then
    if [[ -z "${best[$name]:-}" ]] || newer "${best[$name]}" "$to"; then best[$name]=$to; fi
  else
    later[$name]="$to (needs Maven $required)"
  fi
done < <(sed -n '/display-plugin-updates/,$p' "$log" | awk '
  /Require Maven [0-9.]+ to use/ { for (i = 1; i <= NF; i++) if ($i == "Maven") required = $(i + 1) }
  / -> / && required != "" { print required, $2, $(NF - 2), $NF }')

echo "Maven plugins with newer releases (this Maven is $maven_version):"
plugins=0
for name in $(printf '%s\n' "${!current[@]}" | sort); do
  line=""
  if [[ -n "${best[$name]:-}" ]] && newer "${current[$name]}" "${best[$name]}"; then
    line="${current[$name]} -> ${best[$name]}"
  fi
  if [[ -n "${later[$name]:-}" ]]; then
    line="${line:+$line; }${later[$name]}"
  fi
  if [[ -n "$line" ]]; then
    printf '  %-55s %s\n' "$name" "$line"
    plugins=1
    found=1
  fi
done
[[ $plugins == 1 ]] || echo "  none"

if [[ $found == 1 && $strict == true ]]; then
  exit 1
fi
