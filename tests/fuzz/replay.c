/*
 * Runs the protocol fuzz target without libFuzzer, so any compiler builds it and the test suite
 * can replay the corpus and every crash the fuzzer ever found (tests/fuzz/regressions) under
 * ASan+UBSan with leak checking, compositor teardown included.
 *
 *   sluice-fuzz-replay [--check-seeds] PATH...  replays files, or every file in directories,
 *                                              after checking that each built-in seed ends as
 *                                              it must (with real dma-bufs: the VM tier) (TAP)
 *   sluice-fuzz-replay --check-corpus DIR PATH...  the same after checking that DIR holds
 *                                              what the seeds write now
 *   sluice-fuzz-replay --write-seeds DIR        writes the seed corpus
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static bool
replay_file(const char *path, int *tap_count)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("not ok %d - %s: cannot open\n", ++*tap_count, path);
		return false;
	}
	uint8_t data[FUZZ_MAX_INPUT];
	size_t len = fread(data, 1, sizeof(data), f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	const char *error = fuzz_last_error();
	printf("ok %d - %s (%zu bytes%s%s)\n", ++*tap_count, path, len,
	       error ? ", protocol error: " : "", error ? error : "");
	return true;
}

static int
compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
replay_path(const char *path, int *tap_count)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		printf("not ok %d - %s: missing\n", ++*tap_count, path);
		return false;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, tap_count);
	DIR *dir = opendir(path);
	if (!dir)
		return false;
	char *names[4096];
	int n = 0;
	for (struct dirent *e; (e = readdir(dir)) && n < 4096;)
		if (e->d_name[0] != '.' && !strstr(e->d_name, ".md"))
			names[n++] = strdup(e->d_name);
	closedir(dir);
	qsort(names, (size_t)n, sizeof(names[0]), compare);
	bool ok = true;
	for (int i = 0; i < n; i++) {
		char file[4096];
		snprintf(file, sizeof(file), "%s/%s", path, names[i]);
		ok = replay_file(file, tap_count) && ok;
		free(names[i]);
	}
	return ok;
}

/* The seeds must do what they are named for, or mutation starts from the wrong place. */
static bool
check_seeds(int *tap_count)
{
	bool ok = true;
	for (int i = 0; i < fuzz_seed_count(); i++) {
		uint8_t data[FUZZ_MAX_INPUT];
		size_t len;
		const char *want;
		const char *name = fuzz_seed(i, data, &len, &want);
		if (!name)
			return false;
		LLVMFuzzerTestOneInput(data, len);
		const char *got = fuzz_last_error();
		bool pass = want ? got && strstr(got, want) : !got;
		printf("%s %d - seed %s: %s%s%s\n", pass ? "ok" : "not ok", ++*tap_count, name,
		       got ? "protocol error: " : "no protocol error", got ? got : "",
		       pass   ? ""
		       : want ? " (wanted an error naming the problem)"
			      : " (wanted none)");
		ok = ok && pass;
	}
	return ok;
}

/* The corpus in the tree must be what the seeds write now: global indices move when globals are
 * added, and a stale corpus would bind the wrong ones. */
static bool
check_corpus(const char *dir, int *tap_count)
{
	bool ok = true;
	for (int i = 0; i < fuzz_seed_count(); i++) {
		uint8_t want[FUZZ_MAX_INPUT], have[FUZZ_MAX_INPUT];
		size_t len, got = 0;
		const char *error;
		const char *name = fuzz_seed(i, want, &len, &error);
		if (!name)
			return false;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		FILE *f = fopen(path, "rb");
		if (f) {
			got = fread(have, 1, sizeof(have), f);
			fclose(f);
		}
		bool same = f && got == len && memcmp(want, have, len) == 0;
		printf("%s %d - corpus file %s is current%s\n", same ? "ok" : "not ok",
		       ++*tap_count, name,
		       same ? "" : " (regenerate: sluice-fuzz-replay --write-seeds DIR)");
		ok = ok && same;
	}
	return ok;
}

int
main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: sluice-fuzz-replay [--check-seeds] PATH... | "
				"--write-seeds DIR\n");
		return 2;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	bool ok = true;
	int tap_count = 0;
	if (strcmp(argv[1], "--write-seeds") == 0) {
		int n = argc == 3 ? fuzz_write_seeds(argv[2]) : -1;
		if (n >= 0)
			printf("wrote %d seeds to %s\n", n, argv[2]);
		ok = n >= 0;
	} else {
		int first = 1;
		if (strcmp(argv[1], "--check-seeds") == 0) {
			ok = check_seeds(&tap_count);
			first = 2;
		} else if (strcmp(argv[1], "--check-corpus") == 0 && argc > 2) {
			ok = check_corpus(argv[2], &tap_count);
			first = 2; /* and replayed like the rest */
		}
		for (int i = first; i < argc; i++)
			ok = replay_path(argv[i], &tap_count) && ok;
		printf("1..%d\n", tap_count);
	}
	fuzz_finish();
	return ok ? 0 : 1;
}
