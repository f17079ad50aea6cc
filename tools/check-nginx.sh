#!/bin/sh
# check-nginx.sh: nginx -t on a configuration for the http block (such as
# contrib/nginx-cluster.conf), wrapped in a main file of its own under a
# scratch prefix: the system's nginx.conf, logs and service are never used.
# usage: check-nginx.sh file.conf   (NGINX names the binary)
set -eu
conf=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
nginx=${NGINX:-nginx}
if ! command -v "$nginx" >/dev/null 2>&1; then
	echo "check-nginx.sh: $nginx is not installed (apt-get install nginx)" >&2
	exit 1
fi
prefix=$(mktemp -d "${TMPDIR:-/tmp}/chatd-nginx.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
cat >"$prefix/nginx.conf" <<END
pid $prefix/nginx.pid;
error_log $prefix/error.log;
events {
}
http {
	access_log off;
	client_body_temp_path $prefix/body;
	proxy_temp_path $prefix/proxy;
	fastcgi_temp_path $prefix/fastcgi;
	uwsgi_temp_path $prefix/uwsgi;
	scgi_temp_path $prefix/scgi;
	include $conf;
}
END
"$nginx" -t -q -p "$prefix/" -e "$prefix/error.log" -c "$prefix/nginx.conf"
echo "check-nginx.sh: nginx -t accepts $1"
