#!/usr/bin/env bash
# Regenerates the EXAMPLE certificates of the example estate (stacks/). EXAMPLE MATERIAL ONLY:
# the private keys are public (committed), the CA is made up; never serve these anywhere.
# A private example CA (root + issuing intermediate, whose keys are thrown away) signs one leaf per
# environment; each *-fullchain.pem holds leaf + intermediate (no root), as Azure expects.
# Long validity on purpose, so that the gate's cert-expiry rule does not start failing the example.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ec() { openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$1"; }

ec "$work/root.key"
openssl req -x509 -new -key "$work/root.key" -sha256 -days 9125 -subj "/O=Example Only/CN=Example Scoring Root CA (EXAMPLE ONLY)" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out example-root-ca.pem
ec "$work/inter.key"
openssl req -new -key "$work/inter.key" -subj "/O=Example Only/CN=Example Scoring Issuing CA (EXAMPLE ONLY)" -out "$work/inter.csr"
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$work/inter.ext"
openssl x509 -req -in "$work/inter.csr" -CA example-root-ca.pem -CAkey "$work/root.key" -CAcreateserial \
  -CAserial "$work/root.srl" -sha256 -days 9000 -extfile "$work/inter.ext" -out "$work/inter.pem"

leaf() {  # leaf <env> <dns names...>
  local env=$1; shift
  local san="" n
  for n in "$@"; do san="${san:+$san,}DNS:$n"; done
  ec "$env.key"
  openssl req -new -key "$env.key" -subj "/O=Example Only/CN=$1" -out "$work/$env.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" > "$work/$env.ext"
  openssl x509 -req -in "$work/$env.csr" -CA "$work/inter.pem" -CAkey "$work/inter.key" -CAcreateserial \
    -CAserial "$work/inter.srl" -sha256 -days 3650 -extfile "$work/$env.ext" -out "$work/$env.pem"
  cat "$work/$env.pem" "$work/inter.pem" > "$env-fullchain.pem"
}
leaf production scoring.example.com scoring-aks.example.com
leaf staging scoring.staging.example.com scoring-aks.staging.example.com
echo "wrote example-root-ca.pem, production-fullchain.pem + production.key, staging-fullchain.pem + staging.key"
