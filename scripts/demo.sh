#!/usr/bin/env bash
# The main job, end to end on this machine (run by `make demo` after set-up):
#  1. inspect a good and a bad certificate bundle (`secure-scoring cert check`), and the good one
#     refused in production until its private root is declared with --ca-bundle,
#  2. run the offline policy gate on the example stacks (dev, staging, production),
#  3. show a rejected deployment (an insecure example program),
#  4. serve a real Azure ML inference server behind the TLS/auth gateway and verify it from outside.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
SS="$BIN/secure-scoring"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
expect() {  # expect <wanted-exit-code> <command...>
  local want=$1; shift
  "$@"; local rc=$?
  if [ "$rc" != "$want" ]; then echo "demo: '$*' exited $rc, expected $want" >&2; exit 1; fi
}

step "1. certificate bundles made with openssl in $work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=Demo Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=scoring.demo.test" \
  -keyout "$work/leaf.key" -out "$work/leaf.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:scoring.demo.test,DNS:localhost,IP:127.0.0.1\n' > "$work/leaf.ext"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 365 \
  -extfile "$work/leaf.ext" -out "$work/leaf.crt" 2>/dev/null
cat "$work/leaf.crt" "$work/ca.crt" > "$work/chain.pem"
openssl req -x509 -newkey rsa:2048 -nodes -days 10 -subj "/CN=other.demo.test" \
  -keyout "$work/bad.key" -out "$work/bad.crt" 2>/dev/null

# production trusts a chain only when it leads to a public root or to a CA you declare: the demo's
# own root is declared with --ca-bundle (clients must trust it too: verify below gets the same file)
echo "\$ secure-scoring cert check --cert chain.pem --key leaf.key --hostname scoring.demo.test --environment production --ca-bundle ca.crt"
expect 0 "$SS" cert check --cert "$work/chain.pem" --key "$work/leaf.key" --hostname scoring.demo.test --environment production \
  --ca-bundle "$work/ca.crt"
echo
echo "# the same chain without its root declared: production does not trust a private root by default"
echo "\$ secure-scoring cert check --cert chain.pem --key leaf.key --hostname scoring.demo.test --environment production"
expect 1 "$SS" cert check --cert "$work/chain.pem" --key "$work/leaf.key" --hostname scoring.demo.test --environment production
echo
echo "\$ secure-scoring cert check --cert bad.crt --key leaf.key --hostname scoring.demo.test --environment production"
expect 1 "$SS" cert check --cert "$work/bad.crt" --key "$work/leaf.key" --hostname scoring.demo.test --environment production

step "2. offline policy gate on the example stacks (no cloud credentials)"
for stack in dev staging production; do
  echo "\$ secure-scoring check stacks --stack $stack"
  expect 0 "$SS" check stacks --stack "$stack"
  echo
done

step "3. a rejected deployment: a container group that serves HTTP on port 80"
echo "\$ secure-scoring check examples/insecure/aci-public-port-80 --stack production"
expect 1 "$SS" check examples/insecure/aci-public-port-80 --stack production

step "4. the real inference server behind the production gateway, then verified from outside"
mkdir -p "$work/app"
cat > "$work/app/score.py" <<'PY'
import json
def init():
    pass
def run(raw_data):
    return {"echo": json.loads(raw_data)}
PY
port=$("$BIN/python" -c 'from secure_scoring.dataplane.local import free_port; print(free_port())')
"$SS" serve-local --entry-script "$work/app/score.py" --cert "$work/chain.pem" --key "$work/leaf.key" \
  --hostname scoring.demo.test --port "$port" > "$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do grep -q "https://" "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
sed -n '1,20p' "$work/serve.log" | sed -E 's/^((primary|secondary) key: *).*/\1<hidden>/'
key=$(grep -i -m1 "primary" "$work/serve.log" | awk '{print $NF}')
echo "\$ SECURE_SCORING_KEY=<primary key> secure-scoring verify https://scoring.demo.test:$port/score --connect-to 127.0.0.1 --ca-bundle ca.crt"
SECURE_SCORING_KEY="$key" expect 0 "$SS" verify "https://scoring.demo.test:$port/score" --connect-to 127.0.0.1 --ca-bundle "$work/ca.crt"
printf '\n\033[1mdemo finished: good bundle accepted (its root declared), undeclared root and bad bundle rejected, stacks pass the gate, insecure program rejected, live gateway verified.\033[0m\n'
