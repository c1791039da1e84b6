#!/bin/sh
# Writes deploy/k8s/secrets/*.env, the values the kustomization turns into Secrets, with fresh
# random values; a file already there is kept (so is what you wrote yourself). Run it once
# before the first `kubectl apply -k deploy/k8s`, from anywhere.
set -eu
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir"
umask 077

random() { # letters and digits only: these values go into connection URIs unescaped
  LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1"
}

write() { # write FILE CONTENT: only when FILE does not exist yet
  if [ -e "$dir/$1" ]; then
    echo "kept    secrets/$1"
  else
    printf '%s\n' "$2" >"$dir/$1"
    echo "created secrets/$1"
  fi
}

services="gateway leads teams branches policy sla supervision notifier"

write kuaiban.env "KUAIBAN_ADMIN_PASSWORD=$(random 20)
KUAIBAN_JWT_SECRET=$(random 64)"

passwords=""
for service in $services; do
  passwords="$passwords$service=$(random 32)
"
done
write mongodb-passwords.env "$(printf '%s' "$passwords")"
write mongodb-metrics.env "username=prometheus
password=$(random 32)"

for service in $services; do
  write "rabbitmq-$service.env" "username=kuaiban-$service
password=$(random 32)"
done
