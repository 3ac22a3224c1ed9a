ip link set lo up
python3 /tmp/caddy-exp/servers.py > /tmp/caddy-exp/servers.out 2>&1 &
servers=$!
sleep 1
setpriv --reuid=caddy --regid=caddy --init-groups env HOME=/tmp/caddy-exp/data XDG_DATA_HOME=/tmp/caddy-exp/data XDG_CONFIG_HOME=/tmp/caddy-exp/data /usr/bin/caddy run --config /tmp/caddy-exp/Caddyfile --adapter caddyfile > /tmp/caddy-exp/caddy.stdout 2> /tmp/caddy-exp/caddy.stderr &
caddy=$!
sleep 2
for p in '/refused/x?token=s3cret' /nosock/x /perm/x /eof/x '/slow/x?s=3' /stale/x /reset/x /group/x /health/ /boom/; do
  curl -s -o /dev/null -w "$p %{http_code}\n" -H 'Host: lab.test:8080' "http://127.0.0.1:8080$p"
done
sleep 1
# By pid: job numbers do not survive setpriv's exec in every shell.
kill "$caddy" "$servers"
