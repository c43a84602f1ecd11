#!/usr/bin/env bash
# `make run`: a development instance on 127.0.0.1:8080 with SQLite under ./var. Creates a dev
# signing secret and tenant once, mints a token with every permission, prints a curl line that
# works as pasted and a web console link, then serves in the foreground (Ctrl-C stops it cleanly).
set -euo pipefail
bin=${1:-build/graphcerts}
mkdir -p var
chmod 700 var
if [ ! -s var/dev-jwt-secret ]; then
  (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > var/dev-jwt-secret)
fi
if [ ! -s var/dev-tenant ]; then
  cat /proc/sys/kernel/random/uuid > var/dev-tenant
fi
tenant=$(cat var/dev-tenant)
listen=${GRAPHCERTS_LISTEN:-127.0.0.1:8080}
scopes="DeviceManagementConfiguration.ReadWrite.All DeviceManagementApps.ReadWrite.All User.Read.All"
token=$("$bin" token --secret-file var/dev-jwt-secret --tenant "$tenant" --scopes "$scopes" --ttl 86400)
cat <<MSG

graphcerts dev server on http://$listen (SQLite: ./var/graphcerts.db, tenant $tenant)

A token valid for 24 hours, with every permission:

  export TOKEN=$token

Open the web console (the token is in the fragment, which the browser never sends to a server):

  http://$listen/console/#token=$token

Try it:

  curl -s -H "Authorization: Bearer \$TOKEN" http://$listen/beta/deviceManagement/userPfxCertificates

Mint another: $bin token --secret-file var/dev-jwt-secret --tenant $tenant --scopes "$scopes"

MSG
exec "$bin" serve --listen "$listen" --db sqlite:./var/graphcerts.db --jwt-secret-file var/dev-jwt-secret
