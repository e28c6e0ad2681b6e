#!/usr/bin/env bash
# Builds pgvector for the machine's PostgreSQL from Debian's source package when the server lacks it.
# The binary package is not in this Debian release, but the source package of the next one builds
# against it. The mirror is whatever the machine's apt sources already use.
set -euo pipefail

pg_major=$(pg_config --version 2>/dev/null | sed -E 's/^PostgreSQL ([0-9]+).*/\1/' || true)
if [ -z "${pg_major}" ]; then
  pg_major=$(ls /etc/postgresql | sort -n | tail -1)
fi
if [ -f "/usr/share/postgresql/${pg_major}/extension/vector.control" ]; then
  echo "pgvector: already installed for PostgreSQL ${pg_major}"
  exit 0
fi

sources=/etc/apt/sources.list.d/debian.sources
mirror=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' "$sources")
if [ -z "$mirror" ]; then
  echo "pgvector: no mirror found in $sources" >&2
  exit 1
fi
src_list=/etc/apt/sources.list.d/pgvector-src.sources
if [ ! -f "$src_list" ]; then
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" > "$src_list"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "postgresql-server-dev-${pg_major}" make gcc dpkg-dev >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source --download-only pgvector >/dev/null
dpkg-source -x pgvector_*.dsc pgvector >/dev/null
cd pgvector
make -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" OPTFLAGS="" >/dev/null
make -s install PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" >/dev/null
echo "pgvector: built and installed for PostgreSQL ${pg_major}"
