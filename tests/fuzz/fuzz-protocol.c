/*
 * A fuzz target for sluice's protocol handlers (encoding in fuzz.h). Each input is one client:
 * a socketpair whose server end is handed to the compositor with wl_client_create(), requests
 * encoded by hand from the interfaces' signatures (so they pass libwayland's own checks and
 * reach sluice's code), file descriptors passed with SCM_RIGHTS, the event loop dispatched after
 * every request, and everything the compositor sends read and dropped (its fds closed). When the
 * stream is done the client gets a few 1 ms vblanks to have its commits composed, presented and
 * captured, then is disconnected; a protocol error ends it earlier, as it would a real client.
 *
 * The compositor outlives the inputs: libFuzzer's API hands inputs to a function, so it lives
 * in one static. Leaks in it show up at fuzz_finish() (the replay driver) or through libFuzzer's
 * per-input leak check.
 */
#include "fuzz.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/dma-heap.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wayland-server.h>

#include "fence.h"
#include "backends/headless.h"
#include "linux-dmabuf-unstable-v1-server-protocol.h"
#include "linux-drm-syncobj-v1-server-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-server-protocol.h"
#include "log.h"
#include "core/loop.h"
#include "presentation-time-server-protocol.h"
#include "commit-timing-v1-server-protocol.h"
#include "fifo-v1-server-protocol.h"
#include "tearing-control-v1-server-protocol.h"
#include "ext-image-capture-source-v1-server-protocol.h"
#include "ext-image-copy-capture-v1-server-protocol.h"
#include "color-representation-v1-server-protocol.h"
#include "sluice.h"
#include "single-pixel-buffer-v1-server-protocol.h"
#include "sluice-capture-v1-server-protocol.h"
#include "wlr-screencopy-unstable-v1-server-protocol.h"
#include "viewporter-server-protocol.h"
#include "xdg-decoration-unstable-v1-server-protocol.h"
#include "xdg-output-unstable-v1-server-protocol.h"
#include "xdg-shell-server-protocol.h"

/* Every interface a global of sluice's can have; bind looks the name up here. */
static const struct wl_interface *const bindable[] = {
	&wl_compositor_interface,
	&wl_subcompositor_interface,
	&wl_shm_interface,
	&wl_seat_interface,
	&wl_output_interface,
	&xdg_wm_base_interface,
	&wp_presentation_interface,
	&wp_viewporter_interface,
	&wp_single_pixel_buffer_manager_v1_interface,
	&zwp_linux_dmabuf_v1_interface,
	&zwp_linux_explicit_synchronization_v1_interface,
	&wp_linux_drm_syncobj_manager_v1_interface,
	&sluice_capture_manager_v1_interface,
	&zxdg_decoration_manager_v1_interface,
	&zxdg_output_manager_v1_interface,
	/* Last, as their globals are: the corpus's global numbers stay what they were. */
	&wp_fifo_manager_v1_interface,
	&wp_commit_timing_manager_v1_interface,
	&zwlr_screencopy_manager_v1_interface,
	&wp_tearing_control_manager_v1_interface,
	&ext_output_image_capture_source_manager_v1_interface,
	&ext_image_copy_capture_manager_v1_interface,
	&wp_color_representation_manager_v1_interface,
};

struct global {
	uint32_t name, version;
	char interface[64];
	const struct wl_interface *type;
};

struct fuzz {
	struct sluice sluice;
	struct global globals[32];
	int n_globals;
	bool has_error; /* the last input's client was sent a protocol error: */
	char error[256];
};

/* libFuzzer calls a plain function per input, so the compositor has to live somewhere. */
static struct fuzz *fuzz;

/* One input's client: the objects it made and its end of the socket. */
struct session {
	int fd;
	struct wl_client *client; /* NULL once the compositor has disconnected it */
	struct wl_listener client_destroy;
	struct {
		uint32_t id;
		const struct wl_interface *type;
	} objects[FUZZ_MAX_OBJECTS];
	int n_objects;
	uint32_t next_id;
	int timeline; /* sw_sync, made on first use; -1 */
	uint32_t timeline_value;
	uint8_t in[8192]; /* what the compositor sent, up to a message boundary */
	size_t in_len;
};

struct reader {
	const uint8_t *data;
	size_t size, pos;
};

static bool
take(struct reader *r, void *out, size_t n)
{
	if (r->size - r->pos < n)
		return false;
	memcpy(out, r->data + r->pos, n);
	r->pos += n;
	return true;
}

static bool
take_u8(struct reader *r, uint8_t *out)
{
	return take(r, out, 1);
}

struct message {
	uint32_t words[1024];
	size_t len; /* bytes */
	int fds[8];
	int n_fds;
	bool overflow;
};

static void
put(struct message *m, const void *data, size_t n)
{
	size_t padded = (n + 3) & ~(size_t)3;
	if (m->len + padded > sizeof(m->words)) {
		m->overflow = true;
		return;
	}
	memset((char *)m->words + m->len, 0, padded);
	memcpy((char *)m->words + m->len, data, n);
	m->len += padded;
}

static void
put_u32(struct message *m, uint32_t v)
{
	put(m, &v, 4);
}

static void
put_string(struct message *m, const char *s, size_t n)
{
	put_u32(m, (uint32_t)n + 1);
	char buf[64];
	assert(n < sizeof(buf));
	memcpy(buf, s, n);
	buf[n] = '\0';
	put(m, buf, n + 1);
}

static void
fill(int fd, size_t bytes)
{
	uint8_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return;
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(i * 7);
	munmap(p, bytes);
}

static int
make_memfd(size_t bytes, bool sealed)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC | (sealed ? MFD_ALLOW_SEALING : 0));
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (bytes)
		fill(fd, bytes);
	if (sealed)
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL);
	return fd;
}

static int
make_dmabuf(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	bytes = bytes < page ? page : (bytes + page - 1) & ~(page - 1);
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (heap < 0)
		return make_memfd(bytes, false);
	struct dma_heap_allocation_data alloc = {.len = bytes, .fd_flags = O_RDWR | O_CLOEXEC};
	int fd = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc) < 0 ? -1 : (int)alloc.fd;
	close(heap);
	if (fd >= 0)
		fill(fd, bytes);
	return fd;
}

static int
make_fd(struct session *s, uint8_t kind, uint16_t size)
{
	size_t bytes = (size_t)size * 16;
	switch (kind % FUZZ_FD_KINDS) {
	case FUZZ_FD_MEMFD:
		return make_memfd(bytes, false);
	case FUZZ_FD_MEMFD_SEALED:
		return make_memfd(bytes, true);
	case FUZZ_FD_PIPE: {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		close(p[1]);
		return p[0];
	}
	case FUZZ_FD_EVENTFD:
		return eventfd(0, EFD_CLOEXEC);
	case FUZZ_FD_DEV_NULL:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	case FUZZ_FD_DMABUF:
		return make_dmabuf(bytes);
	case FUZZ_FD_SYNC_FILE: {
		if (s->timeline < 0)
			s->timeline = sw_sync_timeline_create();
		if (s->timeline < 0)
			return eventfd(0, EFD_CLOEXEC);
		static_assert(sizeof(s->timeline_value) == 4, "a sw_sync value is 32 bits");
		int fd = sw_sync_fence(s->timeline, ++s->timeline_value);
		if (fd >= 0 && (size & 1))
			sw_sync_advance(s->timeline, 1);
		else
			s->timeline_value--; /* still pending: the next fence may share the point */
		return fd;
	}
	}
	return -1;
}

static const struct wl_interface *
bindable_type(const char *name)
{
	for (size_t i = 0; i < sizeof(bindable) / sizeof(bindable[0]); i++)
		if (strcmp(bindable[i]->name, name) == 0)
			return bindable[i];
	return NULL;
}

static bool
add_object(struct session *s, uint32_t id, const struct wl_interface *type)
{
	if (s->n_objects == FUZZ_MAX_OBJECTS)
		return false;
	s->objects[s->n_objects].id = id;
	s->objects[s->n_objects].type = type;
	s->n_objects++;
	return true;
}

/* Encodes one message from the input; false when the input ran out or it cannot be sent. */
static bool
encode(struct session *s, struct reader *r, struct message *m)
{
	uint8_t target, op;
	if (!take_u8(r, &target) || !take_u8(r, &op))
		return false;
	int index = target % s->n_objects;
	const struct wl_interface *type = s->objects[index].type;
	if (type->method_count == 0)
		return true; /* nothing to send; read on */
	int opcode = op % type->method_count;
	const struct wl_message *request = &type->methods[opcode];
	put_u32(m, s->objects[index].id);
	put_u32(m, 0); /* size and opcode, filled in below */

	/* Objects created by this message join the table only once it is complete. */
	uint32_t new_ids[8];
	const struct wl_interface *new_types[8];
	int n_new = 0;

	if (type == &wl_registry_interface && opcode == 0 /* bind */) {
		uint8_t g, v;
		if (!take_u8(r, &g) || !take_u8(r, &v) || fuzz->n_globals == 0)
			return false;
		const struct global *global = &fuzz->globals[g % fuzz->n_globals];
		uint32_t version = (v & 0x80) ? (v & 0x7fu) : 1 + v % global->version;
		put_u32(m, global->name);
		put_string(m, global->interface, strlen(global->interface));
		put_u32(m, version);
		put_u32(m, s->next_id);
		new_ids[n_new] = s->next_id++;
		new_types[n_new++] = global->type;
	} else {
		const char *sig = request->signature;
		int arg = 0;
		bool nullable = false;
		for (; *sig; sig++) {
			if (*sig >= '0' && *sig <= '9')
				continue;
			if (*sig == '?') {
				nullable = true;
				continue;
			}
			uint8_t b;
			uint32_t word;
			switch (*sig) {
			case 'i':
			case 'u':
			case 'f':
				if (!take(r, &word, 4))
					return false;
				put_u32(m, word);
				break;
			case 's': {
				char text[48];
				if (!take_u8(r, &b))
					return false;
				if (nullable && b == 0xff) {
					put_u32(m, 0);
					break;
				}
				if (!take(r, text, b % 48u))
					return false;
				put_string(m, text, b % 48u);
				break;
			}
			case 'o':
				if (!take_u8(r, &b))
					return false;
				put_u32(m, b == 0      ? 0
					   : b == 0xff ? 0xdead
						       : s->objects[(b - 1) % s->n_objects].id);
				break;
			case 'n':
				if (n_new == 8)
					return false;
				put_u32(m, s->next_id);
				new_ids[n_new] = s->next_id++;
				new_types[n_new++] = request->types[arg];
				break;
			case 'a': {
				uint8_t bytes[64];
				if (!take_u8(r, &b) || !take(r, bytes, b % 64u))
					return false;
				put_u32(m, b % 64u);
				put(m, bytes, b % 64u);
				break;
			}
			case 'h': {
				uint16_t size;
				if (!take_u8(r, &b) || !take(r, &size, 2) || m->n_fds == 8)
					return false;
				int fd = make_fd(s, b, size);
				if (fd < 0)
					return false;
				m->fds[m->n_fds++] = fd;
				break;
			}
			default:
				assert(!"unknown signature character");
			}
			nullable = false;
			arg++;
		}
	}
	if (m->overflow)
		return false;
	m->words[1] = (uint32_t)(m->len << 16) | (uint32_t)opcode;
	for (int i = 0; i < n_new; i++)
		if (new_types[i])
			add_object(s, new_ids[i], new_types[i]);
	return true;
}

/* Picks wl_display.error out of what arrived; everything else is dropped. */
static void
parse_events(struct session *s)
{
	size_t pos = 0;
	while (s->in_len - pos >= 8) {
		uint32_t header[2];
		memcpy(header, s->in + pos, 8);
		size_t size = header[1] >> 16;
		if (size < 8 || size > sizeof(s->in)) {
			pos = s->in_len; /* cannot be: libwayland frames its messages */
			break;
		}
		if (s->in_len - pos < size)
			break;
		uint32_t len;
		if (header[0] == 1 && (header[1] & 0xffff) == WL_DISPLAY_ERROR && size >= 20 &&
		    (memcpy(&len, s->in + pos + 16, 4), len > 0 && 20 + len <= size)) {
			size_t n = len < sizeof(fuzz->error) ? len : sizeof(fuzz->error);
			memcpy(fuzz->error, s->in + pos + 20, n);
			fuzz->error[n - 1] = '\0';
			fuzz->has_error = true;
		}
		pos += size;
	}
	memmove(s->in, s->in + pos, s->in_len - pos);
	s->in_len -= pos;
}

static void
drain(struct session *s)
{
	char control[CMSG_SPACE(sizeof(int) * 28)];
	for (;;) {
		struct iovec iov = {s->in + s->in_len, sizeof(s->in) - s->in_len};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control,
				     .msg_controllen = sizeof(control)};
		ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c;
		     c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fds[28];
			memcpy(fds, CMSG_DATA(c), count * sizeof(int));
			for (size_t i = 0; i < count; i++)
				close(fds[i]);
		}
		if (n <= 0)
			return;
		s->in_len += (size_t)n;
		parse_events(s);
	}
}

static void
dispatch(struct session *s, int timeout_ms)
{
	sl_loop_dispatch(fuzz->sluice.server.main_loop, timeout_ms);
	wl_display_flush_clients(fuzz->sluice.server.display);
	drain(s);
}

static bool
send_message(struct session *s, struct message *m)
{
	char control[CMSG_SPACE(sizeof(int) * 8)] = {0};
	struct iovec iov = {m->words, m->len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (m->n_fds) {
		msg.msg_control = control;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)m->n_fds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)m->n_fds);
		memcpy(CMSG_DATA(c), m->fds, sizeof(int) * (size_t)m->n_fds);
	}
	for (int tries = 0; tries < 100 && s->client; tries++) {
		if (sendmsg(s->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)m->len)
			return true;
		if (errno != EAGAIN)
			return false;
		dispatch(s, 0); /* the compositor reads what is queued */
	}
	return false;
}

static void
handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct session *s = wl_container_of(listener, s, client_destroy);
	s->client = NULL;
}

static bool
session_start(struct session *s)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	s->fd = sv[1];
	s->client = wl_client_create(fuzz->sluice.server.display, sv[0]);
	if (!s->client) {
		close(sv[0]);
		close(sv[1]);
		return false;
	}
	s->client_destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(s->client, &s->client_destroy);
	s->n_objects = 0;
	s->next_id = 2;
	s->in_len = 0;
	s->timeline = -1;
	s->timeline_value = 0;
	add_object(s, 1, &wl_display_interface);
	return true;
}

static void
session_end(struct session *s)
{
	if (s->client) {
		wl_list_remove(&s->client_destroy.link);
		wl_client_destroy(s->client);
		s->client = NULL;
	}
	close(s->fd);
	if (s->timeline >= 0)
		close(s->timeline);
	/* Idle work the disconnect queued (releases, repaints) runs now, not in the next input. */
	sl_loop_dispatch(fuzz->sluice.server.main_loop, 0);
}

static void
quiet_wayland_log(const char *fmt, va_list args)
{
}

/* Asks for the registry and reads the globals from the wire, as a client would. */
static bool
read_globals(void)
{
	struct session s;
	if (!session_start(&s))
		return false;
	struct message m = {0};
	put_u32(&m, 1);
	put_u32(&m, 0);
	put_u32(&m, 2);
	m.words[1] = (uint32_t)(m.len << 16) | 1; /* wl_display.get_registry */
	if (!send_message(&s, &m))
		return false;
	sl_loop_dispatch(fuzz->sluice.server.main_loop, 0);
	wl_display_flush_clients(fuzz->sluice.server.display);
	uint8_t buf[8192];
	ssize_t n = recv(s.fd, buf, sizeof(buf), MSG_DONTWAIT);
	for (ssize_t pos = 0; n > 0 && pos + 8 <= n;) {
		uint32_t header[2];
		memcpy(header, buf + pos, 8);
		uint32_t size = header[1] >> 16;
		if (size < 8 || pos + size > n)
			break;
		if (header[0] == 2 && (header[1] & 0xffff) == WL_REGISTRY_GLOBAL &&
		    fuzz->n_globals < 32) {
			struct global *g = &fuzz->globals[fuzz->n_globals];
			uint32_t len;
			memcpy(&g->name, buf + pos + 8, 4);
			memcpy(&len, buf + pos + 12, 4);
			if (len == 0 || len > sizeof(g->interface) ||
			    16 + ((len + 3) & ~3u) + 4 > size)
				break;
			memcpy(g->interface, buf + pos + 16, len);
			g->interface[len - 1] = '\0';
			memcpy(&g->version, buf + pos + 16 + ((len + 3) & ~3u), 4);
			g->type = bindable_type(g->interface);
			if (g->type && g->version > 0)
				fuzz->n_globals++;
		}
		pos += size;
	}
	session_end(&s);
	return fuzz->n_globals > 0;
}

int
fuzz_global_index(const char *interface, uint32_t *version)
{
	for (int i = 0; fuzz && i < fuzz->n_globals; i++)
		if (strcmp(fuzz->globals[i].interface, interface) == 0) {
			*version = fuzz->globals[i].version;
			return i;
		}
	return -1;
}

const char *
fuzz_last_error(void)
{
	return fuzz && fuzz->has_error ? fuzz->error : NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (fuzz)
		return 0;
	log_init(getenv("SLUICE_FUZZ_LOG") ? LOG_DEBUG : LOG_SILENT);
	wl_log_set_handler_server(quiet_wayland_log);
	signal(SIGPIPE, SIG_IGN);
	fuzz = calloc(1, sizeof(*fuzz));
	assert(fuzz);
	/* No --extra-commits limit: held-back clients would make a replay depend on timing. */
	const struct sluice_options options = {.capture = true, .strict = true};
	/* Two outputs (for output arguments and capture) with 1 ms vblanks, kept small so a
	 * composed frame costs little. */
	const struct headless_mode modes[] = {{64, 48, 1000000}, {32, 32, 1000000}};
	if (!sluice_init(&fuzz->sluice, &options) ||
	    !headless_output_create(&fuzz->sluice.server, &modes[0]) ||
	    !headless_output_create(&fuzz->sluice.server, &modes[1]) ||
	    !sluice_init_device_protocols(&fuzz->sluice) || !read_globals()) {
		fprintf(stderr, "fuzz: cannot start the compositor\n");
		abort();
	}
	return 0;
}

void
fuzz_finish(void)
{
	if (!fuzz)
		return;
	sluice_finish(&fuzz->sluice);
	free(fuzz);
	fuzz = NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size > FUZZ_MAX_INPUT)
		return -1; /* keep inputs (and runs) short */
	struct session s;
	if (!session_start(&s))
		abort();
	fuzz->has_error = false;
	struct reader r = {data, size, 0};
	while (s.client) {
		struct message m = {0};
		bool ok = encode(&s, &r, &m);
		if (ok && m.len)
			ok = send_message(&s, &m);
		for (int i = 0; i < m.n_fds; i++)
			close(m.fds[i]);
		if (!ok)
			break;
		dispatch(&s, 0);
	}
	/* Let what was committed reach a (1 ms) vblank: compose, present, capture, release. */
	for (int i = 0; i < 3 && s.client; i++)
		dispatch(&s, 2);
	session_end(&s);
	return 0;
}
