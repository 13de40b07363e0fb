#!/bin/sh
# Runs the tls_echo example ($1) with a throwaway self-signed certificate.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
"$1" "$dir/cert.pem" "$dir/key.pem"
