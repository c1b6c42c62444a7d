/*
 * The protocol fuzzer's input encoding, shared by the fuzz target, the replay driver and the
 * seed writer.
 *
 * An input is a stream of requests from one client to an in-process sluice (headless backend,
 * capture and strict mode on), written on a real socket with real file descriptors:
 *
 *   input   := message*
 *   message := target:u8 opcode:u8 arg*
 *
 * target picks an object the stream has created so far (index modulo their number; index 0 is
 * wl_display), opcode is taken modulo the interface's request count, and the arguments follow the
 * request's signature:
 *
 *   i u f   4 bytes, little endian
 *   s       len:u8, then len % 48 bytes (a nullable string is null when len is 0xff)
 *   o       sel:u8: 0 is null, 0xff an id nobody created, else object (sel - 1) modulo the count
 *   n       nothing: the next free id, of the interface the request names
 *   a       len:u8, then len % 64 bytes
 *   h       kind:u8 size:u16: a file descriptor made fresh for the request (enum fuzz_fd_kind)
 *
 * wl_registry.bind is special: global:u8 version:u8 pick one of the compositor's globals (modulo
 * their number) and a version (1 + version % the global's version, or version & 0x7f as is when
 * the high bit is set, which may be too high); name, interface and new id are filled in.
 * A message cut short by the end of the input is not sent.
 */
#ifndef SLUICE_FUZZ_H
#define SLUICE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

enum fuzz_fd_kind {
	FUZZ_FD_MEMFD,	      /* size * 16 bytes, filled with a pattern */
	FUZZ_FD_MEMFD_SEALED, /* the same, sealed against shrinking */
	FUZZ_FD_PIPE,	      /* the read end of a pipe */
	FUZZ_FD_EVENTFD,
	FUZZ_FD_DEV_NULL,
	/* size * 16 bytes (at least a page) from the system dma-buf heap; a memfd where there is
	 * none (the host tier), so there the stream reaches only the checks before the import */
	FUZZ_FD_DMABUF,
	/* a sw_sync fence on this input's timeline, signalled if size is odd, else pending until
	 * the input ends (the timeline's close signals it with an error); an eventfd where there
	 * is no sw_sync */
	FUZZ_FD_SYNC_FILE,
	FUZZ_FD_KINDS,
};

enum { FUZZ_MAX_INPUT = 8192, FUZZ_MAX_OBJECTS = 256 };

/* The index of the compositor's global of that interface and its version (for seeds), or -1. */
int fuzz_global_index(const char *interface, uint32_t *version);

/* Seed i of the built-in corpus: its bytes, and what its protocol error must say (NULL: the
 * stream is valid, the client must survive it). Returns the seed's name, NULL on failure. */
int fuzz_seed_count(void);
const char *fuzz_seed(int i, uint8_t *data, size_t *len, const char **error);

/* How the last input's client ended: NULL if it was never sent a protocol error, else the
 * error's message as the client read it from the wire. */
const char *fuzz_last_error(void);

/* Writes the seed corpus (params and fence error cases among them) into dir; returns how many. */
int fuzz_write_seeds(const char *dir);

/* Tears the compositor down (the replay driver does, so that leak checking sees everything). */
void fuzz_finish(void);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
