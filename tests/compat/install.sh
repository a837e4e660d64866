#!/usr/bin/env bash
# Installs everything the compatibility suites need, on a fresh Debian machine as root, from
# package registries only (Debian, PyPI, the Go module proxy, Maven Central, npm via pnpm).
# Idempotent: every step checks what is already there, so a second run takes seconds.
# It never stops at a failed step: it prints a summary and writes .cache/install-status.json,
# and the suites whose client is missing then fail loudly (a missing client is never a pass).
set -uo pipefail
compat="$(cd "$(dirname "$0")" && pwd)"
cache="$compat/.cache"
mkdir -p "$cache"
declare -a names=() states=() details=()
record() { names+=("$1"); states+=("$2"); details+=("$3"); }
log() { printf '[compat install] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

# --- 1. Debian packages -------------------------------------------------------------------
apt_packages=(python3-kafka python3-confluent-kafka kcat python3-kazoo zookeeper
  python3-lz4 python3-snappy python3-zstandard default-jdk-headless maven)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q >"$cache/apt.log" 2>&1
  as_root apt-get install -y -q "${missing[@]}" >>"$cache/apt.log" 2>&1 || true
fi
for pkg in "${apt_packages[@]}"; do
  version="$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)"
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    record "debian:$pkg" ok "$version"
  else
    record "debian:$pkg" failed "see $cache/apt.log"
  fi
done

# --- 2. Python venvs with the latest PyPI releases (isolated: no system site packages) ------
# Interpreter for the venvs: the machine's python3 (pyenv here), else Debian's.
venv_python="$(command -v python3 || echo /usr/bin/python3)"
make_venv() { # $1 dir name, $2 import name, $3.. pip requirements
  local dir="$cache/$1" module="$2"; shift 2
  local want="$*"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements" 2>/dev/null)" = "$want" ] &&
     "$dir/bin/python" -c "import $module" 2>/dev/null; then
    record "pypi:$1" ok "$("$dir/bin/python" -m pip freeze 2>/dev/null | tr '\n' ' ')(cached)"
    return
  fi
  log "python venv $1: pip install $want"
  rm -rf "$dir"
  if "$venv_python" -m venv "$dir" >"$cache/$1.log" 2>&1 &&
     "$dir/bin/python" -m pip install -q $want >>"$cache/$1.log" 2>&1 &&
     "$dir/bin/python" -c "import $module" >>"$cache/$1.log" 2>&1; then
    echo "$want" >"$dir/.requirements"
    record "pypi:$1" ok "$("$dir/bin/python" -m pip freeze 2>/dev/null | tr '\n' ' ')"
  else
    record "pypi:$1" failed "see $cache/$1.log"
  fi
}
make_venv venv-kafka-python kafka kafka-python lz4 python-snappy zstandard
make_venv venv-confluent-kafka confluent_kafka confluent-kafka

# --- 3. Go clients: franz-go and Sarama, built from tests/compat/clients/go ----------------
if command -v go >/dev/null; then
  mkdir -p "$cache/go/bin"
  if (cd "$compat/clients/go" && go build -o "$cache/go/bin/" ./cmd/... ) >"$cache/go.log" 2>&1; then
    record "go:franz-go+sarama" ok "$(cd "$compat/clients/go" && grep -E 'franz-go |IBM/sarama ' go.mod | tr -s ' \t' ' ' | tr '\n' ';')"
  else
    record "go:franz-go+sarama" failed "see $cache/go.log"
  fi
else
  record "go:franz-go+sarama" failed "no go toolchain on PATH"
fi

# --- 4. Maven Central: broker jars and client jars -----------------------------------------
maven_set() { # $1 pom dir (relative to tests/compat); the set is named after its last part
  local pom="$compat/$1/pom.xml" name; name="$(basename "$1")"
  local out="$cache/maven/$name" hash; hash="$(sha256sum "$pom" | cut -c1-16)"
  if [ "$(cat "$out/.pom-hash" 2>/dev/null)" = "$hash" ]; then
    record "maven:$name" ok "$(ls "$out" | grep -c '\.jar$') jars (cached)"
    return
  fi
  log "maven $name: dependency:copy-dependencies"
  rm -rf "$out"; mkdir -p "$out"
  if mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$out" >"$cache/maven-$name.log" 2>&1; then
    echo "$hash" >"$out/.pom-hash"
    record "maven:$name" ok "$(ls "$out" | grep -c '\.jar$') jars"
  else
    record "maven:$name" failed "see $cache/maven-$name.log"
  fi
}
if command -v mvn >/dev/null; then
  for set in real-kafka/kafka-3.9 real-kafka/kafka-4.1 clients/java/kafka-clients-3.9 clients/java/kafka-clients-4.1; do
    maven_set "$set"
  done
else
  record "maven" failed "no mvn on PATH"
fi

# --- 5. Java client program, compiled against each kafka-clients version -------------------
for set in kafka-clients-3.9 kafka-clients-4.1; do
  out="$cache/java-classes/$set"
  if ! command -v javac >/dev/null; then record "javac:$set" failed "no javac on PATH"; continue; fi
  if [ ! -d "$cache/maven/$set" ]; then record "javac:$set" failed "maven set missing"; continue; fi
  rm -rf "$out"; mkdir -p "$out"
  if javac -nowarn -d "$out" -cp "$cache/maven/$set/*" "$compat"/clients/java/src/*.java >"$cache/javac-$set.log" 2>&1; then
    record "javac:$set" ok "compiled"
  else
    record "javac:$set" failed "see $cache/javac-$set.log"
  fi
done

# --- 6. Node clients: kafkajs and @platformatic/kafka come from tests/package.json ----------
for pkg in kafkajs @platformatic/kafka; do
  manifest="$compat/../node_modules/$pkg/package.json"
  if [ -f "$manifest" ]; then
    record "npm:$pkg" ok "$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$manifest" | head -1)"
  else
    record "npm:$pkg" failed "not in tests/node_modules: run pnpm install"
  fi
done

# --- summary ------------------------------------------------------------------------------
failed=0
{
  echo '{'
  for i in "${!names[@]}"; do
    sep=','; [ "$i" = $((${#names[@]} - 1)) ] && sep=''
    detail="${details[$i]//\\/\\\\}"; detail="${detail//\"/\\\"}"
    printf '  "%s": {"state": "%s", "detail": "%s"}%s\n' "${names[$i]}" "${states[$i]}" "$detail" "$sep"
  done
  echo '}'
} >"$cache/install-status.json"
echo "=== compat install summary ==="
for i in "${!names[@]}"; do
  printf '  %-7s %-28s %s\n' "${states[$i]}" "${names[$i]}" "${details[$i]:0:110}"
  [ "${states[$i]}" = ok ] || failed=$((failed + 1))
done
if [ "$failed" -gt 0 ]; then
  echo "=== $failed install step(s) FAILED: the suites that need them will fail ==="
else
  echo "=== everything installed ==="
fi
exit 0
