# celeb - celebrity detector. `make` builds build/release/celeb; `make test`
# sets up, builds with ASan+UBSan and runs the whole suite; `make bench` runs
# the benchmarks against the peers; `make demo` runs the main job; `make
# eval-lfw` measures recognition on LFW's View 2 and writes it into the README.

BUILD ?= release
OUT := build/$(BUILD)

PKGS := libwebpdemux libwebp libcjson libexif libjpeg sqlite3 libcrypto libmicrohttpd hiredis lapacke
# FFmpeg (video, PNG) and libcurl (URLs) are called from plugins loaded on first
# use, $(OUT)/celeb-ffmpeg.so and $(OUT)/celeb-curl.so (src/core/plugin.h): their
# ~130 and ~30 shared libraries would cost ~50 and ~15 ms of every start.
AV_PKGS := libavformat libavcodec libswscale libavutil
CURL_PKGS := libcurl
CC ?= cc
CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -g \
                 $(shell pkg-config --cflags $(PKGS) $(AV_PKGS) $(CURL_PKGS) 2>/dev/null) -fopenmp -Isrc -Iinclude \
                 -DCELEB_MODEL_DIR=\"$(CURDIR)/models\" -DCELEB_SHARE_DIR=\"$(CURDIR)/share\" -DCELEB_PLUGIN_DIR=\"$(CURDIR)/$(OUT)\"
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lgif -lcsv -ldnnl -ldl -lm -lpthread
AV_LIBS := $(shell pkg-config --libs $(AV_PKGS) 2>/dev/null)
CURL_LIBS := $(shell pkg-config --libs $(CURL_PKGS) 2>/dev/null)

# Any BUILD whose name starts with "asan" (asan, asan-x, ...) is a sanitizer build;
# BUILD=fuzz is clang's libFuzzer build (the library instrumented for coverage).
ifeq ($(BUILD),fuzz)
  CC := clang
  CFLAGS := $(filter-out -fopenmp,$(CFLAGS_COMMON)) -fopenmp=libgomp -O1 -fno-omit-frame-pointer \
            -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
  LDFLAGS := -fsanitize=fuzzer,address,undefined -lgomp
  PLUGIN_LDFLAGS := -fsanitize=address,undefined
else ifneq ($(filter asan%,$(BUILD)),)
  # float-cast-overflow: gcc leaves it out of "undefined" (clang's fuzz build has it).
  CFLAGS := $(CFLAGS_COMMON) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined,float-cast-overflow \
            -fno-sanitize-recover=undefined,float-cast-overflow
  LDFLAGS := -fopenmp -fsanitize=address,undefined,float-cast-overflow
  PLUGIN_LDFLAGS := -fsanitize=address,undefined
else
  CFLAGS := $(CFLAGS_COMMON) -O2
  LDFLAGS := -fopenmp
endif

# Each plugin has its own copies of the few library functions it calls.
AV_SRC := src/media/media_ffmpeg.c src/media/media_avconv.c src/media/media_src.c src/core/error.c src/core/image.c
CURL_SRC := src/media/fetch_curl.c src/core/error.c
AV_OBJ := $(AV_SRC:%.c=$(OUT)/pic/%.o)
CURL_OBJ := $(CURL_SRC:%.c=$(OUT)/pic/%.o)
PLUGIN := $(OUT)/celeb-ffmpeg.so $(OUT)/celeb-curl.so
LIB_SRC := $(filter-out src/cli/% src/media/media_ffmpeg.c src/media/media_avconv.c src/media/fetch_curl.c,\
                        $(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(OUT)/%.o)
CLI_SRC := $(wildcard src/cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(OUT)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(OUT)/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(OUT)/bench/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(OUT)/fuzz/%)
# The same targets without libFuzzer: replay files (tests/regress/) in the normal suite.
REPLAY_BIN := $(FUZZ_SRC:fuzz/fuzz_%.c=$(OUT)/fuzz/replay_%)

.PHONY: all setup test demo bench clean tests benches fuzz fuzzers valgrind eval-lfw eval-landmarks eval-scale
all: $(OUT)/celeb $(PLUGIN)

setup:
	@./scripts/setup.sh

$(OUT)/libceleb.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(OUT)/celeb: $(CLI_OBJ) $(OUT)/libceleb.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(OUT)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

$(OUT)/celeb-ffmpeg.so: $(AV_OBJ)
	$(CC) -shared -Wl,-Bsymbolic $(PLUGIN_LDFLAGS) -o $@ $^ $(AV_LIBS)

$(OUT)/celeb-curl.so: $(CURL_OBJ)
	$(CC) -shared -Wl,-Bsymbolic $(PLUGIN_LDFLAGS) -o $@ $^ $(CURL_LIBS)

$(OUT)/tests/%: tests/%.c $(OUT)/libceleb.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(OUT)/libceleb.a $(LDFLAGS) $(LDLIBS) -lcmocka

# A frame of any media as PPM, for the end-to-end tests that build media out of real frames.
$(OUT)/tests/frame_ppm: tests/frame_ppm.c $(OUT)/libceleb.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(OUT)/libceleb.a $(LDFLAGS) $(LDLIBS)

# dlib's own face chip (Debian's libdlib-dev), the reference of tests/test_chip.c.
$(OUT)/tests/dlib_chip: tests/dlib_chip.cpp
	@mkdir -p $(dir $@)
	$(CXX) -O2 -o $@ $< $(shell pkg-config --libs dlib-1 2>/dev/null)

# Our landmarks against dlib's shape predictor on LFW View 1 (make eval-landmarks).
$(OUT)/bench/lfw_landmarks: bench/lfw_landmarks.cpp $(OUT)/libceleb.a
	@mkdir -p $(dir $@)
	$(CXX) -O2 -std=c++17 -Wall -Wextra -Werror -Isrc -o $@ $< $(OUT)/libceleb.a $(shell pkg-config --libs dlib-1 2>/dev/null) \
		$(LDFLAGS) $(LDLIBS)

$(OUT)/bench/%: bench/%.c $(OUT)/libceleb.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(OUT)/libceleb.a $(LDFLAGS) $(LDLIBS) -lXNNPACK -lpthreadpool

$(OUT)/fuzz/fuzz_%: fuzz/fuzz_%.c $(OUT)/libceleb.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(OUT)/libceleb.a $(LDFLAGS) $(LDLIBS)

$(OUT)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(OUT)/libceleb.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< fuzz/replay.c $(OUT)/libceleb.a $(LDFLAGS) $(LDLIBS)

tests: $(OUT)/celeb $(PLUGIN) $(TEST_BIN) $(REPLAY_BIN) $(OUT)/tests/dlib_chip $(OUT)/tests/frame_ppm
fuzzers: $(FUZZ_BIN) $(PLUGIN)
benches: $(OUT)/celeb $(PLUGIN) $(BENCH_BIN)

test: setup
	@$(MAKE) --no-print-directory BUILD=asan tests
	@./tests/run.sh build/asan

demo: setup
	@$(MAKE) --no-print-directory
	@./scripts/demo.sh build/release

bench: setup
	@$(MAKE) --no-print-directory benches
	@./bench/run.sh build/release

# LFW's View 2 protocol on the release build, with and without the enrollment
# jitter; writes the table into the README (bench/eval_lfw.py; about 40 minutes).
eval-lfw: setup
	@$(MAKE) --no-print-directory
	@/usr/bin/python3 bench/eval_lfw.py build/release

# Open-set identification with every LFW identity enrolled, and with 24, 500
# and 2,000 of them; writes the table into the README (bench/eval_scale.py;
# about 30 minutes; the enrolled gallery is kept in bench/out/scale while the program is the same).
eval-scale: setup
	@$(MAKE) --no-print-directory
	@/usr/bin/python3 bench/eval_scale.py build/release

# The same chip from our landmarks and from dlib's shape predictor, LFW View 1 (about 8 minutes).
eval-landmarks: setup
	@$(MAKE) --no-print-directory $(OUT)/bench/lfw_landmarks
	@$(OUT)/bench/lfw_landmarks ../shared/data/lfw models

# Each fuzz target for FUZZ_SECONDS (default 60) from the seeds of scripts/fuzz_seeds.sh.
fuzz: setup
	@$(MAKE) --no-print-directory BUILD=fuzz fuzzers
	@./fuzz/run.sh build/fuzz

# The CLI and a short server session under valgrind (minutes: not in make test).
valgrind: setup
	@$(MAKE) --no-print-directory
	@./tests/valgrind.sh build/release

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(AV_OBJ:.o=.d) $(CURL_OBJ:.o=.d)
