# Shared by the bench scripts: a free port, and signing in through the real mailed link.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# How many mails the file transport has written into DATA_DIR/mail.
count_mail() { local n; n=$(ls "$1"/mail/*.eml 2>/dev/null | wc -l) || true; echo "${n:-0}"; }

# sign_in BASE DATA_DIR EMAIL JAR: requests a link (file transport into DATA_DIR/mail),
# follows it and confirms; the session ends up in the cookie JAR.
sign_in() {
  local base=$1 dir=$2 email=$3 jar=$4 csrf link token before
  before=$(count_mail "$dir")
  curl -s -c "$jar" -b "$jar" "$base/login" >/dev/null
  csrf=$(awk '$6 == "bruka_csrf" {print $7}' "$jar")
  curl -s -c "$jar" -b "$jar" --data-urlencode "csrf_token=$csrf" \
    --data-urlencode "email=$email" "$base/login" >/dev/null
  for _ in $(seq 50); do
    [ "$(count_mail "$dir")" -gt "$before" ] && break; sleep 0.2
  done
  link=$(python3 -c 'import email, glob, os, re, sys
newest = max(glob.glob(sys.argv[1] + "/mail/*.eml"), key=os.path.getmtime)
msg = email.message_from_binary_file(open(newest, "rb"))
text = next(p.get_payload(decode=True).decode() for p in msg.walk() if p.get_content_type() == "text/plain")
print(re.search(r"http\S+/login/confirm\S+", text).group(0))' "$dir")
  token=${link#*token=}
  curl -s -c "$jar" -b "$jar" --data-urlencode "csrf_token=$csrf" --data-urlencode "token=$token" \
    "$base/login/confirm" >/dev/null
}

# on_each_backend RUN NAME: calls `RUN "SQLite" ""`, and with BRUKA_BENCH_POSTGRES_URL set also
# `RUN "PostgreSQL" URL` on a fresh database (dropped afterwards).
on_each_backend() {
  local run=$1 db="$2_$$"
  "$run" "SQLite" ""
  if [ -n "${BRUKA_BENCH_POSTGRES_URL:-}" ]; then
    psql "$BRUKA_BENCH_POSTGRES_URL" -qc "CREATE DATABASE $db"
    "$run" "PostgreSQL" "${BRUKA_BENCH_POSTGRES_URL%/*}/$db"
    psql "$BRUKA_BENCH_POSTGRES_URL" -qc "DROP DATABASE $db WITH (FORCE)"
  fi
}
