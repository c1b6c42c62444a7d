/*
 * The protocol globals without an object of their own to keep: each creates its global on the
 * server's display (destroyed with it) and returns false, with a log line where useful, if it
 * cannot. Protocols with state of their own (linux-dmabuf, the seat's, the clipboard) have
 * their own header with a create/destroy pair.
 */
#ifndef SLUICE_PROTOCOLS_H
#define SLUICE_PROTOCOLS_H

#include <stdbool.h>

struct sl_server;

bool shm_global_init(struct sl_server *server);
/* Restores the SIGBUS handler shm_global_init installed (after the last pool is gone). */
void shm_global_finish(void);
bool xdg_shell_global_init(struct sl_server *server);
bool presentation_global_init(struct sl_server *server);
/* wp_fifo_manager_v1 and wp_commit_timing_manager_v1. */
bool pacing_globals_init(struct sl_server *server);
bool viewporter_global_init(struct sl_server *server);
bool single_pixel_buffer_global_init(struct sl_server *server);
bool xdg_decoration_global_init(struct sl_server *server);
bool xdg_output_global_init(struct sl_server *server);
bool capture_global_init(struct sl_server *server);
/* zwlr_screencopy_manager_v1, with --capture too. */
bool screencopy_global_init(struct sl_server *server);
/* ext_output_image_capture_source_manager_v1 and ext_image_copy_capture_manager_v1, with
 * --capture too. */
bool image_copy_capture_globals_init(struct sl_server *server);
/* wp_tearing_control_manager_v1: made last of all (the fuzz corpus numbers the globals). */
bool tearing_control_global_init(struct sl_server *server);
/* wp_color_representation_manager_v1: after every other global (fuzz corpus numbering). */
bool color_representation_global_init(struct sl_server *server);
/* After the backend: both need to know the main device. */
bool linux_explicit_sync_global_init(struct sl_server *server);
bool drm_syncobj_global_init(struct sl_server *server);

#endif
