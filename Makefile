# chatd - a classic web chat server.  Portable make; see README.md.
.POSIX:
.SUFFIXES:
.SUFFIXES: .c .o

PREFIX    = /usr/local
MANPREFIX = $(PREFIX)/share/man
PORT      = 9148

CC        = cc
# A plain `make` warns; the test, CI and fuzz builds add WERROR.
WARNFLAGS = -Wall -Wextra
WERROR    = -Werror
# -R's Redis link is built when hiredis is installed; `make REDIS=1`
# insists on it, `make REDIS=0` leaves it out (then chatd needs only libc).
REDIS     =
REDISDEFS = `sh tools/redis.sh cflags "$(REDIS)"`
REDISLIBS = `sh tools/redis.sh libs "$(REDIS)"`
CPPFLAGS  = -D_XOPEN_SOURCE=700 $(REDISDEFS)
CFLAGS    = -std=c99 -pedantic -O2 -g $(WARNFLAGS)
LDFLAGS   =
# The accounts helper thread (worker.c).
PTHREAD   = -pthread
# The event loop: epoll on Linux, kqueue on the BSDs and macOS, poll
# elsewhere; `make LOOP=select` (or poll, epoll, kqueue) picks one.
LOOP      =
# crypt() is in libcrypt on glibc, in libc elsewhere: found at link time.
LIBCRYPT  = `sh tools/libcrypt.sh "$(CC)"`
CHECKLIBS = `pkg-config --cflags --libs check`
SANFLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

FRAMES = frames/login.html frames/frameset.html frames/chat.html \
	frames/talk.html frames/names.html frames/page.html frames/register.html frames/lite.html frames/style.css \
	frames/chat.js frames/talk.js frames/embed.js

OBJ = accounts.o accounts_redis.o addr.o api.o tokens.o buf.o cmd.o config.o conn.o frames.o http.o json.o later.o log.o login.o loop.o loop_epoll.o loop_kqueue.o loop_poll.o \
	loop_select.o presence.o queue.o redis.o cluster.o \
	room.o session.o sha1.o stats.o status.o text.o transcript.o web.o worker.o \
	event.o stream.o fmt_html.o fmt_text.o fmt_json.o fmt_ws.o ws.o

UNIT = tests/check_addr.o tests/check_http.o tests/check_text.o tests/check_queue.o \
	tests/check_session.o tests/check_accounts.o tests/check_transcript.o tests/check_tokens.o \
	tests/check_loop.o tests/check_fmt.o tests/check_ws.o tests/check_json.o tests/json_decode.o \
	tests/check_fmt_json.o tests/check_stats.o tests/check_cluster.o tests/check_log.o
ITEST = tests/itest.o tests/itest_conn.o tests/itest_core.o tests/itest_rooms.o tests/itest_accounts.o tests/itest_daemon.o \
	tests/itest_instance.o \
	tests/itest_loop.o tests/itest_web.o tests/itest_sessions.o tests/itest_text.o \
	tests/itest_api.o tests/itest_ws.o tests/itest_pages.o tests/itest_status.o tests/itest_pub.o tests/itest_cluster.o \
	tests/itest_presence.o \
	tests/itest_accounts_redis.o

all: chatd

chatd: chatd.o $(OBJ)
	$(CC) $(LDFLAGS) $(PTHREAD) -o $@ chatd.o $(OBJ) $(LIBCRYPT) $(REDISLIBS)

# One command writes both, frames.h last; a rule for each would race
# under make -j.
frames.c: $(FRAMES) tools/embed.sh
	sh tools/embed.sh frames.c frames.h $(FRAMES)
frames.h: frames.c
	test -f $@ || sh tools/embed.sh frames.c frames.h $(FRAMES)

.c.o:
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PTHREAD) -I. -c -o $@ $<

# The loop's files see the LOOP choice; loop.o refuses an unknown one.
LOOPDEF = -DLOOP_BACKEND_$(LOOP)
loop.o: loop.c loop.h loop_sys.h
	@case "$(LOOP)" in ''|select|poll|epoll|kqueue) ;; \
	*) echo "LOOP=$(LOOP): select, poll, epoll or kqueue" >&2; exit 1;; esac
	$(CC) $(CPPFLAGS) $(LOOPDEF) $(CFLAGS) -I. -c -o $@ loop.c
loop_epoll.o: loop_epoll.c loop.h loop_sys.h
	$(CC) $(CPPFLAGS) $(LOOPDEF) $(CFLAGS) -I. -c -o $@ loop_epoll.c
loop_kqueue.o: loop_kqueue.c loop.h loop_sys.h
	$(CC) $(CPPFLAGS) $(LOOPDEF) $(CFLAGS) -I. -c -o $@ loop_kqueue.c
loop_poll.o: loop_poll.c loop.h loop_sys.h
	$(CC) $(CPPFLAGS) $(LOOPDEF) $(CFLAGS) -I. -c -o $@ loop_poll.c
loop_select.o: loop_select.c loop.h loop_sys.h
	$(CC) $(CPPFLAGS) $(LOOPDEF) $(CFLAGS) -I. -c -o $@ loop_select.c

# Header dependencies, written out.
accounts.o: accounts.c accounts.h text.h log.h buf.h worker.h
addr.o: addr.c addr.h text.h
tokens.o: tokens.c tokens.h
tests/check_tokens.o: tokens.h
buf.o: buf.c buf.h
config.o: config.c config.h text.h
redis.o: redis.c redis.h config.h log.h loop.h
accounts_redis.o: accounts_redis.c accounts_redis.h accounts.h redis.h config.h log.h text.h
cluster.o: cluster.c cluster.h presence.h cmd.h redis.h room.h stats.h config.h log.h loop.h session.h stream.h event.h fmt.h queue.h buf.h text.h
presence.o: presence.c presence.h config.h text.h event.h log.h loop.h redis.h room.h session.h
chatd.o: chatd.c accounts_redis.h cluster.h presence.h redis.h stats.h tokens.h web.h cmd.h event.h fmt.h stream.h config.h conn.h loop.h session.h room.h accounts.h transcript.h log.h text.h http.h buf.h queue.h
cmd.o: cmd.c cmd.h presence.h config.h session.h stream.h event.h fmt.h room.h accounts.h text.h buf.h http.h queue.h log.h
conn.o: conn.c room.h stats.h api.h ws.h cmd.h stream.h event.h fmt.h conn.h addr.h config.h loop.h web.h http.h buf.h queue.h session.h log.h
frames.o: frames.c frames.h
http.o: http.c http.h buf.h
json.o: json.c json.h buf.h
log.o: log.c log.h
queue.o: queue.c queue.h buf.h
stats.o: stats.c stats.h buf.h
status.o: status.c status.h stats.h http.h json.h loop.h room.h session.h stream.h event.h fmt.h queue.h buf.h text.h
room.o: room.c stats.h log.h room.h config.h session.h stream.h event.h fmt.h queue.h buf.h text.h transcript.h
session.o: session.c session.h stream.h event.h fmt.h addr.h config.h log.h queue.h buf.h text.h
event.o: event.c event.h fmt.h queue.h text.h
stream.o: stream.c stats.h stream.h event.h fmt.h queue.h
fmt_json.o: fmt_json.c fmt_json.h fmt.h event.h http.h json.h buf.h queue.h text.h
fmt_html.o: fmt_html.c fmt.h event.h frames.h http.h buf.h queue.h text.h
fmt_text.o: fmt_text.c fmt.h event.h http.h buf.h queue.h text.h
fmt_ws.o: fmt_ws.c fmt_json.h fmt.h event.h ws.h buf.h queue.h text.h
sha1.o: sha1.c sha1.h
text.o: text.c text.h
transcript.o: transcript.c transcript.h buf.h log.h
worker.o: worker.c worker.h log.h
web.o: web.c presence.h web.h status.h tokens.h api.h later.h login.h fmt.h stream.h event.h config.h http.h buf.h session.h room.h cmd.h accounts.h text.h frames.h queue.h log.h
api.o: api.c config.h presence.h tokens.h ws.h api.h fmt_json.h web.h cmd.h http.h json.h buf.h later.h login.h accounts.h room.h session.h stream.h event.h fmt.h queue.h text.h
later.o: later.c later.h accounts.h
ws.o: ws.c ws.h sha1.h
tests/check_ws.o tests/itest_ws.o: ws.h sha1.h
login.o: login.c presence.h stats.h login.h accounts.h addr.h cmd.h config.h http.h later.h log.h room.h session.h stream.h event.h fmt.h queue.h text.h web.h status.h
$(UNIT) $(ITEST) tests/run.o: tests/suites.h cluster.h json.h tests/itest.h event.h fmt.h stream.h addr.h conn.h http.h text.h queue.h session.h room.h accounts.h transcript.h buf.h log.h config.h loop.h worker.h web.h cmd.h stats.h
tests/check_json.o tests/json_decode.o tests/itest_api.o tests/itest_status.o tests/itest_pub.o tests/check_fmt_json.o: json.h fmt_json.h tests/json_decode.h

tests/run: tests/run.o $(UNIT) $(ITEST) $(OBJ)
	$(CC) $(LDFLAGS) $(PTHREAD) -o $@ tests/run.o $(UNIT) $(ITEST) $(OBJ) $(LIBCRYPT) $(REDISLIBS) $(CHECKLIBS)

# Unit and integration tests; the last line is Check's summary.  Built
# from clean with -Werror, so that no object of a plain make is reused.
check:
	$(MAKE) clean
	$(MAKE) WARNFLAGS="$(WARNFLAGS) $(WERROR)" chatd tests/run
	./tests/run

# The same tests with chatd and the tests built under ASan and UBSan.
check-asan:
	$(MAKE) CFLAGS="-std=c99 -O1 -g $(WARNFLAGS) $(WERROR) $(SANFLAGS)" \
	    LDFLAGS="$(SANFLAGS)" check
	$(MAKE) clean

# Warning-clean builds elsewhere: clang, and musl (compiled only:
# Debian's musl leaves crypt() out of its libc, so it cannot link there).
portable:
	$(MAKE) clean
	$(MAKE) CC=clang WARNFLAGS="$(WARNFLAGS) $(WERROR)" chatd
	$(MAKE) clean
	$(MAKE) CC=musl-gcc REDIS=0 WARNFLAGS="$(WARNFLAGS) $(WERROR)" chatd.o $(OBJ)
	$(MAKE) clean

# A 32-bit build (needs gcc-multilib and libcrypt-dev:i386), without Redis.
portable32:
	$(MAKE) clean
	$(MAKE) CC="gcc -m32" REDIS=0 WARNFLAGS="$(WARNFLAGS) $(WERROR)" chatd
	$(MAKE) clean

# What `make check` needs on Debian, and no more (run as root).  Other
# targets name their own packages; .ci/run installs them.
check-deps:
	for try in 1 2 3; do apt-get update -qq && break; sleep 10; done; true
	apt-get install -y -qq make gcc libc6-dev libcrypt-dev check pkg-config \
	    python3 python3-websockets w3m lynx libhiredis-dev redis-server

# On localhost only; `./chatd -b 0.0.0.0` serves others (see README.md).
run: chatd
	./chatd -b 127.0.0.1 -p $(PORT)

# The service files in contrib/: the rc script parses, and systemd accepts
# the unit (where systemd-analyze exists; it wants ExecStart's binary, so
# it checks a copy that names the one just built); nginx -t accepts the
# cluster configuration, under a scratch prefix of its own.
check-contrib: chatd
	sh -n contrib/chatd.rc
	sh tools/verify-unit.sh contrib/chatd.service
	sh tools/check-nginx.sh contrib/nginx-cluster.conf

install: chatd
	mkdir -p $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(MANPREFIX)/man8
	cp -f chatd $(DESTDIR)$(PREFIX)/sbin/chatd
	chmod 755 $(DESTDIR)$(PREFIX)/sbin/chatd
	cp -f man/chatd.8 $(DESTDIR)$(MANPREFIX)/man8/chatd.8
	chmod 644 $(DESTDIR)$(MANPREFIX)/man8/chatd.8

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/chatd $(DESTDIR)$(MANPREFIX)/man8/chatd.8

clean:
	rm -f chatd *.o frames.c frames.h tests/run tests/*.o
	rm -rf tests/out

.PHONY: all check check-asan check-deps check-contrib portable portable32 run \
	install uninstall clean fuzz check-browser check-cluster check-hostile check-mutate \
	check-mutate-asan bench bench-transports bench-publish bench-cluster

# libFuzzer targets for http.c and ws.c (clang only), FUZZTIME seconds
# each: `make fuzz FUZZTIME=300`.  The corpora grow in fuzz/out/ (ignored
# by git) from the seeds, which stay small.
FUZZCC    = clang
FUZZTIME  = 60
FUZZFLAGS = -std=c99 -pedantic -g -O1 $(WARNFLAGS) $(WERROR) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

fuzz/out/fuzz_http: fuzz/fuzz_http.c fuzz/fuzz.h http.c http.h buf.c buf.h
	mkdir -p fuzz/out
	$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -I. -o $@ fuzz/fuzz_http.c http.c buf.c

fuzz/out/fuzz_ws: fuzz/fuzz_ws.c fuzz/fuzz.h ws.c ws.h sha1.c sha1.h text.c text.h buf.c buf.h
	mkdir -p fuzz/out
	$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -I. -o $@ fuzz/fuzz_ws.c ws.c sha1.c text.c buf.c

# The JSON writer, checked by the tests' strict decoder.
fuzz/out/fuzz_json: fuzz/fuzz_json.c fuzz/fuzz.h json.c json.h buf.c buf.h tests/json_decode.c tests/json_decode.h
	mkdir -p fuzz/out
	$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -I. -Itests -o $@ fuzz/fuzz_json.c json.c buf.c tests/json_decode.c

fuzz: fuzz/out/fuzz_http fuzz/out/fuzz_ws fuzz/out/fuzz_json
	mkdir -p fuzz/out/corpus-json
	cp tests/fuzz-seeds/json/* fuzz/out/corpus-json/
	./fuzz/out/fuzz_json -max_total_time=$(FUZZTIME) -max_len=4096 \
	    -artifact_prefix=fuzz/out/json- fuzz/out/corpus-json
	mkdir -p fuzz/out/corpus-http
	cp tests/fuzz-seeds/http/* fuzz/out/corpus-http/
	./fuzz/out/fuzz_http -max_total_time=$(FUZZTIME) -max_len=20000 \
	    -dict=fuzz/http.dict -artifact_prefix=fuzz/out/ \
	    fuzz/out/corpus-http
	mkdir -p fuzz/out/corpus-ws
	cp tests/fuzz-seeds/ws/* fuzz/out/corpus-ws/
	./fuzz/out/fuzz_ws -max_total_time=$(FUZZTIME) -max_len=20000 \
	    -dict=fuzz/ws.dict -artifact_prefix=fuzz/out/ws- \
	    fuzz/out/corpus-ws


# chatd in headless Chromium through chromedriver (apt-get install chromium
# chromium-driver); screenshots land in tests/out/.  About a minute.
check-browser: chatd
	python3 tests/browser/check_browser.py

# Three chatd -R behind contrib/nginx-cluster.conf, with a redis-server and
# an nginx of the test's own, a chat across them from Chromium (apt-get
# install redis-server libhiredis-dev nginx chromium chromium-driver).
check-cluster: chatd
	python3 tests/browser/check_cluster.py


# Slowloris and slow-read attacks (slowhttptest, if installed) on a local
# chatd while a user from another loopback address measures delivery.
tests/out/hostile_probe: tests/hostile_probe.c
	mkdir -p tests/out
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ tests/hostile_probe.c

check-hostile: chatd tests/out/hostile_probe
	sh tests/hostile.sh


# Mutation fuzz of a live chatd over sockets (tests/mutate.py): MUTATIONS
# mutated requests, chatd checked after every batch and its stderr for
# sanitizer reports at the end.  check-mutate-asan builds chatd with ASan
# and UBSan first: `make check-mutate-asan MUTATIONS=50000`.
MUTATIONS = 5000
check-mutate: chatd
	python3 tests/mutate.py -n $(MUTATIONS) ./chatd

check-mutate-asan:
	$(MAKE) clean
	$(MAKE) CFLAGS="-std=c99 -O1 -g $(WARNFLAGS) $(SANFLAGS)" \
	    LDFLAGS="$(SANFLAGS)" check-mutate
	$(MAKE) clean



# Load benchmark (bench/README.md): chatd and nginx+nchan side by side at
# each size in STREAMS (held streams, fan-out latency, deliveries a second,
# memory per stream), then a login flood; server and generator on separate
# cores.  `make bench STREAMS=1000` for one size.  TRANSPORTS: chatd's
# streams (html, sse, ws); `make bench-transports`: all three at 1,000.
STREAMS = 1000 5000 10000
TRANSPORTS = html
bench/load: bench/load.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ bench/load.c

bench/flood: bench/flood.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ bench/flood.c

bench/floor: bench/floor.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ bench/floor.c

bench: chatd bench/load bench/flood bench/floor
	STREAMS="$(STREAMS)" TRANSPORTS="$(TRANSPORTS)" sh bench/run.sh

bench-transports: chatd bench/load
	STREAMS=1000 SERVERS=chatd TRANSPORTS="html sse ws" FLOOD=0 \
	    sh bench/run.sh

# Issue 12: a backend publishes 1,000 events a second (POST /api/publish,
# chatd -T) into a room of 1,000 streams for 10 s.
PUBLISH = 1000
bench-publish: chatd bench/load
	STREAMS=1000 SERVERS=chatd PUBLISH="$(PUBLISH)" FLOOD=0 sh bench/run.sh

# Issue 14: three chatd -R and a redis-server, 1,000 streams spread over
# them, 20 messages/s posted on one: cross-instance fan-out (bench/cluster.sh).
bench-cluster: chatd bench/load
	sh bench/cluster.sh

