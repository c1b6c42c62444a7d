#ifndef SLUICE_IDLE_H
#define SLUICE_IDLE_H

struct sl_server;
struct sl_idle;

/*
 * --idle-timeout: with no input (server->events.input_activity) for that long, every output is
 * blanked (display off); the next input event lights them again (and is delivered as usual).
 */
struct sl_idle *idle_create(struct sl_server *server, int timeout_s);
void idle_destroy(struct sl_idle *idle);

#endif
